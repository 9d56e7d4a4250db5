namespace Meshwork.Model.Resources;

/// <summary>
/// One field manager's claim on an object's fields, as Kubernetes' server-side apply records it in
/// <c>metadata.managedFields</c>: who (<see cref="Manager"/>), how (<c>Apply</c> or <c>Update</c>),
/// at which apiVersion, and the fields themselves in the FieldsV1 form
/// (<c>{"f:spec":{"f:mtls":{"f:mode":{}}}}</c>), kept as canonical JSON text (keys sorted) so that
/// equal sets compare equal.
/// </summary>
public sealed record ManagedFieldsEntry
{
    public const string ApplyOperation = "Apply";
    public const string UpdateOperation = "Update";

    public required string Manager { get; init; }
    public required string Operation { get; init; }
    public required string ApiVersion { get; init; }
    public DateTimeOffset? Time { get; init; }
    public required string FieldsV1 { get; init; }
}
