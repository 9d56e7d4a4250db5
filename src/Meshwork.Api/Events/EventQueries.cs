using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Api.Events;

/// <summary>Reading events back, as kubectl describe does: by the object's kind, namespace, name and uid.</summary>
public static class EventQueries
{
    public static async Task<ImmutableArray<ObjectEvent>> EventsAboutAsync(this MeshApiClient client, Resource resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(resource);
        var subject = new EventSubject(resource.Kind, resource.Metadata.Namespace, resource.Metadata.Name);
        var @namespace = subject.EventNamespace;
        var selector = $"involvedObject.kind={resource.Kind},involvedObject.name={resource.Metadata.Name}";
        if (resource.Metadata.Uid is { } uid) selector += $",involvedObject.uid={uid}";
        var body = await client.SendAsync(HttpMethod.Get,
            $"/api/v1/namespaces/{Uri.EscapeDataString(@namespace)}/events?fieldSelector={Uri.EscapeDataString(selector)}", null, cancellationToken).ConfigureAwait(false);
        var items = JsonNode.Parse(body)?["items"] as JsonArray ?? [];
        return [.. items.Select(EventJson.Parse)];
    }
}
