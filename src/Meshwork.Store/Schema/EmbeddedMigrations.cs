using System.Globalization;
using System.Reflection;

namespace Meshwork.Store.Schema;

/// <summary>One numbered schema change of a database backend.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// The numbered SQL scripts a backend ships as embedded resources named Migrations/NNNN_name.sql,
/// in number order.
/// </summary>
public static class EmbeddedMigrations
{
    public static IReadOnlyList<Migration> Load(Assembly assembly)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var fileName = resource["Migrations/".Length..^".sql".Length];
            var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(fileName[..underscore], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"migration {resource} is not named NNNN_name.sql");
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, fileName[(underscore + 1)..], reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        if (migrations.Select(m => m.Version).Distinct().Count() != migrations.Count)
        {
            throw new InvalidOperationException("two migrations share a number");
        }
        return migrations;
    }

    /// <summary>The refusal when a database was migrated by a newer Meshwork than this one.</summary>
    public static InvalidDataException NewerSchema(long current, int known) =>
        new($"the database schema is at version {current}, newer than this Meshwork knows ({known}); use a newer meshwork");
}
