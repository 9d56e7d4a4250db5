using System.Text;
using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;
using Meshwork.Store;
using Meshwork.Store.Postgres;
using Meshwork.Store.Postgres.Secrets;
using Meshwork.Store.Sqlite;
using Npgsql;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>
/// Which store a control plane runs on: the SQLite file of its state directory (one host), or a
/// PostgreSQL database that several replicas share. On PostgreSQL the mesh's key material (CA,
/// bootstrap token key, admin token) is shared through the store, sealed with the operator's key,
/// so every replica signs with the same CA and accepts the same tokens.
/// </summary>
internal static class ControlPlaneStore
{
    public const string KeyHint = "openssl rand -base64 32 > mesh-ca.key; chmod 600 mesh-ca.key";

    public static async Task<IResourceStore> OpenAsync(ControlPlaneOptions options, CancellationToken cancellationToken)
    {
        if (options.StoreUrl is not { } url)
        {
            return await SqliteResourceStore.OpenAsync(options.StateDirectory.DatabaseFile, options.Time, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        if (!PostgresConnectionUrl.IsPostgres(url))
        {
            throw new InvalidOperationException($"--store \"{Redact(url)}\" is not a PostgreSQL URL (postgres://user@host:port/database); leave it out for the SQLite file of the state directory");
        }
        if (options.CaKeyFile is null)
        {
            throw new InvalidOperationException(
                "a control plane on PostgreSQL keeps the mesh's CA key in the store, encrypted with a key that you give every replica: "
                + $"--ca-key-file FILE (or MESHWORK_CA_KEY_FILE). Create one once with: {KeyHint}");
        }
        var box = SecretBox.FromKeyFile(options.CaKeyFile);
        string connectionString;
        try
        {
            connectionString = PostgresConnectionUrl.ToConnectionString(url);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"--store: {e.Message}", e);
        }
        PostgresResourceStore store;
        try
        {
            store = await PostgresResourceStore.OpenAsync(connectionString, options.Time, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException($"cannot reach the store {Redact(url)}: {e.Message}", e);
        }
        try
        {
            var (secrets, _) = await PostgresMeshSecrets.LoadOrCreateAsync(store, box, () => CreateLocally(options), cancellationToken).ConfigureAwait(false);
            // The replica's state directory then holds them as a single control plane's does (mode 0600).
            foreach (var (name, value) in secrets)
            {
                var directory = Path.GetDirectoryName(PathInState(options.StateDirectory, name))!;
                if (!Directory.Exists(directory) && !OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
                AtomicFile.WriteAllBytes(PathInState(options.StateDirectory, name), value, AtomicFile.Private);
            }
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return store;
    }

    /// <summary>The first replica makes the material as a single control plane does (files in its state directory) and shares those files.</summary>
    private static IReadOnlyDictionary<string, byte[]> CreateLocally(ControlPlaneOptions options)
    {
        var state = options.StateDirectory;
        CertificateAuthority.CertificateAuthority.LoadOrCreateSelfSigned(state.Root, new CaOptions { TrustDomain = options.TrustDomain, Time = options.Time });
        BootstrapTokenAuthority.LoadOrCreate(state.Root, options.Time);
        AdminTokenAuthenticator.LoadOrCreate(state);
        var caDirectory = CaFiles.SelfSignedDirectory(state.Root);
        return Directory.GetFiles(caDirectory).Where(f => !Path.GetFileName(f).StartsWith('.')).Append(state.AdminTokenFile)
            .ToDictionary(f => Path.GetRelativePath(state.Root, f), File.ReadAllBytes, StringComparer.Ordinal);
    }

    /// <summary>A stored name is a path relative to the state directory, never one that climbs out of it.</summary>
    private static string PathInState(StateDirectory state, string name)
    {
        var root = Path.GetFullPath(state.Root);
        var full = Path.GetFullPath(Path.Combine(root, name));
        if (Path.IsPathRooted(name) || !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the mesh's secret \"{name}\" in the store does not name a file inside the state directory");
        }
        return full;
    }

    /// <summary>The URL without its password, for messages.</summary>
    public static string Redact(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.UserInfo.Contains(':', StringComparison.Ordinal)) return url;
        return url.Replace(uri.UserInfo, uri.UserInfo[..uri.UserInfo.IndexOf(':', StringComparison.Ordinal)] + ":***", StringComparison.Ordinal);
    }
}
