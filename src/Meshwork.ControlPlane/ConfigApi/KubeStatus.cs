using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Store;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.ConfigApi;

/// <summary>One cause of a refusal, as Kubernetes reports it in status.details.causes.</summary>
public sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>
/// Kubernetes-style Status errors ({kind: Status, status: Failure, reason, message, code, details}).
/// Every error of the config API is mapped to its HTTP status here, and only here.
/// </summary>
public static class KubeStatus
{
    public const string NotFound = "NotFound";
    public const string Conflict = "Conflict";
    public const string AlreadyExists = "AlreadyExists";
    public const string Invalid = "Invalid";
    public const string BadRequest = "BadRequest";
    public const string Unauthorized = "Unauthorized";
    public const string RequestEntityTooLarge = "RequestEntityTooLarge";
    public const string Expired = "Expired";
    public const string MethodNotAllowed = "MethodNotAllowed";
    public const string UnsupportedMediaType = "UnsupportedMediaType";

    public static int CodeOf(string reason) => reason switch
    {
        NotFound => StatusCodes.Status404NotFound,
        Conflict or AlreadyExists => StatusCodes.Status409Conflict,
        Invalid => StatusCodes.Status422UnprocessableEntity,
        Unauthorized => StatusCodes.Status401Unauthorized,
        RequestEntityTooLarge => StatusCodes.Status413PayloadTooLarge,
        Expired => StatusCodes.Status410Gone,
        MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        _ => StatusCodes.Status400BadRequest,
    };

    public static JsonObject Build(string reason, string message, KindInfo? kind = null, string? name = null, IEnumerable<StatusCause>? causes = null)
    {
        var details = new JsonObject();
        if (name is not null) details["name"] = name;
        if (kind is not null)
        {
            // As apimachinery's errors do: Invalid names the kind ("The PeerAuthentication "x" is
            // invalid: ..." in kubectl), every other reason the resource (plural).
            details["group"] = kind.ApiGroup;
            details["kind"] = reason == Invalid ? kind.Kind : kind.Plural;
        }
        var causeArray = new JsonArray();
        foreach (var cause in causes ?? [])
        {
            causeArray.Add(new JsonObject { ["reason"] = cause.Reason, ["message"] = cause.Message, ["field"] = cause.Field });
        }
        if (causeArray.Count > 0) details["causes"] = causeArray;
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = CodeOf(reason),
        };
        if (details.Count > 0) status["details"] = details;
        return status;
    }

    public static IResult Failure(string reason, string message, KindInfo? kind = null, string? name = null, IEnumerable<StatusCause>? causes = null) =>
        Results.Text(Build(reason, message, kind, name, causes).ToJsonString(), "application/json", statusCode: CodeOf(reason));

    public static IResult FromStore(StoreException error, KindInfo? kind, bool inBatch = false)
    {
        var reason = error.Kind switch
        {
            StoreErrorKind.NotFound => NotFound,
            StoreErrorKind.Conflict => Conflict,
            StoreErrorKind.Invalid => Invalid,
            StoreErrorKind.AlreadyExists => AlreadyExists,
            StoreErrorKind.Expired => Expired,
            _ => BadRequest,
        };
        if (error.Key is { } key && KindRegistry.TryGetKind(key.Kind, out var keyKind)) kind ??= keyKind;
        var causes = error.Causes.Select(c => new StatusCause(
            "FieldValueInvalid", c.Message, c.Index is { } i ? $"items[{i}].{c.Field}" : c.Field));
        return Failure(reason, KubernetesMessage(error, reason) ?? error.Message, kind, error.Key?.Name, causes);
    }

    /// <summary>
    /// The messages the Kubernetes API server words (apimachinery's errors.NewNotFound,
    /// NewAlreadyExists, NewConflict) name the resource as <c>plural.group "name"</c>, and kubectl
    /// prints them verbatim; the store's own words name the namespace instead.
    /// </summary>
    private static string? KubernetesMessage(StoreException error, string reason)
    {
        if (error.Key is not { } key || !KindRegistry.TryGetKind(key.Kind, out var keyKind)) return null;
        var resource = $"{keyKind.FullyQualifiedPlural} \"{key.Name}\"";
        return reason switch
        {
            NotFound => $"{resource} not found",
            AlreadyExists => $"{resource} already exists",
            Conflict => $"Operation cannot be fulfilled on {resource}: the object has been modified; please apply your changes to the latest version and try again",
            _ => null,
        };
    }

    /// <summary>Invalid (422) listing every error the manifest reader found, or BadRequest (400) when the body is not a document at all.</summary>
    public static IResult FromDiagnostics(ManifestReadResult read, KindInfo? kind, string? name = null)
    {
        var errors = read.Errors.ToList();
        var causes = errors.Select(d => new StatusCause("FieldValueInvalid", d.Hint is null ? d.Message : $"{d.Message} (hint: {d.Hint})", FieldOf(d)));
        var message = string.Join("; ", errors.Select(Describe));
        var malformed = read.Resources.IsEmpty && errors.All(d => string.IsNullOrEmpty(d.Path));
        return Failure(malformed ? BadRequest : Invalid, message, kind, name, causes);
    }

    private static string FieldOf(Diagnostic d) =>
        d.Document > 1 ? $"items[{d.Document - 1}].{d.Path}".TrimEnd('.') : d.Path;

    private static string Describe(Diagnostic d)
    {
        var path = string.IsNullOrEmpty(d.Path) ? "" : $"{d.Path}: ";
        var where = d.Line > 0 ? $"line {d.Line}, column {d.Column}: " : "";
        var hint = d.Hint is null ? "" : $" (hint: {d.Hint})";
        return $"{where}{path}{d.Message}{hint}";
    }

    public static string Serialize(JsonObject status) => status.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
