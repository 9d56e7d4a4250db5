using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Resources;

/// <summary>
/// The control plane skips work when a re-read object is equal to the stored one, so a field that
/// equality ignores is an update that never takes effect. For every record of the model and every
/// field it keeps, setting that field alone must make the record unequal.
/// </summary>
public class FieldEqualityTests
{
    public static TheoryData<string> RecordTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in ModelRecords()) data.Add(type.FullName!);
        return data;
    }

    private static IEnumerable<Type> ModelRecords() =>
        typeof(Resource).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(Resource).Namespace || t == typeof(MeshConfig))
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true })
            .Where(t => t.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

    [Fact]
    public void Every_kind_and_its_parts_are_covered()
    {
        var names = ModelRecords().Select(t => t.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "PeerAuthentication", "AuthorizationSource", "ObjectMeta", "LabelSelector", "PodStatus", "MeshConfig" }, names);
    }

    [Theory]
    [MemberData(nameof(RecordTypes))]
    public void Every_kept_field_takes_part_in_equality(string typeName)
    {
        var type = typeof(Resource).Assembly.GetType(typeName)!;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            // Where a resource was read from is deliberately not part of its identity.
            .Where(p => p.Name != nameof(Resource.Source));
        foreach (var property in properties)
        {
            var baseline = RuntimeHelpers.GetUninitializedObject(type);
            var changed = RuntimeHelpers.GetUninitializedObject(type);
            property.SetValue(changed, Sample(property.PropertyType));
            Assert.True(!baseline.Equals(changed), $"{type.Name}.{property.Name} does not take part in equality");
            Assert.True(changed.Equals(Clone(type, changed)), $"{type.Name}.{property.Name}: equal content must be equal");
        }
    }

    private static object Clone(Type type, object source)
    {
        var copy = RuntimeHelpers.GetUninitializedObject(type);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            p.SetValue(copy, CopyValue(p.GetValue(source)));
        }
        return copy;
    }

    /// <summary>Collections are rebuilt so that equality cannot pass by sharing the same instance.</summary>
    private static object? CopyValue(object? value)
    {
        if (value is null) return null;
        var t = value.GetType();
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            if ((bool)t.GetProperty("IsDefault")!.GetValue(value)!) return value;
            var items = ((IEnumerable)value).Cast<object?>().ToList();
            return MakeArray(t.GetGenericArguments()[0], items);
        }
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ImmutableSortedDictionary<,>))
        {
            var args = t.GetGenericArguments();
            var dict = Empty(args[0], args[1]);
            foreach (var entry in (IEnumerable)value)
            {
                var k = entry.GetType().GetProperty("Key")!.GetValue(entry);
                var v = CopyValue(entry.GetType().GetProperty("Value")!.GetValue(entry));
                dict = dict.GetType().GetMethod("Add")!.Invoke(dict, [k, v])!;
            }
            return dict;
        }
        return value;
    }

    private static object Empty(Type key, Type value) =>
        typeof(ImmutableSortedDictionary<,>).MakeGenericType(key, value).GetField("Empty")!.GetValue(null)!;

    private static object MakeArray(Type element, List<object?> items)
    {
        var builder = typeof(ImmutableArray).GetMethods()
            .Single(m => m.Name == nameof(ImmutableArray.CreateBuilder) && m.GetParameters().Length == 0)
            .MakeGenericMethod(element).Invoke(null, null)!;
        foreach (var item in items) builder.GetType().GetMethod("Add")!.Invoke(builder, [item]);
        return builder.GetType().GetMethod("ToImmutable")!.Invoke(builder, null)!;
    }

    private static object? Sample(Type t)
    {
        var underlying = Nullable.GetUnderlyingType(t) ?? t;
        if (underlying == typeof(string)) return "x";
        if (underlying == typeof(int)) return 7;
        if (underlying == typeof(long)) return 7L;
        if (underlying == typeof(double)) return 7.5;
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(byte)) return (byte)7;
        if (underlying == typeof(DateTimeOffset)) return DateTimeOffset.UnixEpoch.AddDays(1);
        if (underlying == typeof(TimeSpan)) return TimeSpan.FromSeconds(7);
        if (underlying.IsEnum) return Enum.GetValues(underlying).GetValue(1);
        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            var element = underlying.GetGenericArguments()[0];
            return MakeArray(element, [Sample(element)]);
        }
        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(ImmutableSortedDictionary<,>))
        {
            var args = underlying.GetGenericArguments();
            var dict = Empty(args[0], args[1]);
            return dict.GetType().GetMethod("Add")!.Invoke(dict, [Sample(args[0]), Sample(args[1])]);
        }
        if (underlying.IsClass && !underlying.IsAbstract) return RuntimeHelpers.GetUninitializedObject(underlying);
        throw new InvalidOperationException($"no sample for {t}");
    }
}
