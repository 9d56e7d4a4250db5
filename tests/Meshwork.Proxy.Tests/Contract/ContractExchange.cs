namespace Meshwork.Proxy.Tests.Contract;

/// <summary>A request as the client means it: the Host it sends (the authority, on absolute-form paths), the path, extra fields.</summary>
public sealed record ContractRequest(string Host, string Path, params (string Name, string Value)[] Headers);

/// <summary>What came back. <see cref="Status"/> 0: no HTTP answer (refused, reset or closed); <see cref="Body"/> then says what happened.</summary>
public sealed record ContractResponse(int Status, string Body)
{
    /// <summary>The response head's field lines as received ("name: value" per line); empty when the path does not capture them.</summary>
    public string Head { get; init; } = "";

    /// <summary>Every value of field <paramref name="name"/> in <see cref="Head"/>, in order.</summary>
    public IReadOnlyList<string> Values(string name) =>
        [.. Head.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim())];

    public static ContractResponse NoAnswer(Exception e) => new(0, $"{e.GetType().Name}: {e.Message}");
}

/// <summary>One way into the sidecar, opened against a <see cref="ContractChain"/>.</summary>
public interface IEntryPath : IAsyncDisposable
{
    Task<ContractResponse> SendAsync(ContractRequest request);

    /// <summary>Sends <paramref name="request"/> <paramref name="count"/> times as fast as the path allows; the apps count what arrived.</summary>
    async Task SendManyAsync(ContractRequest request, int count)
    {
        for (var i = 0; i < count; i++) await SendAsync(request);
    }

    /// <summary>The client sidecar's admin address (its reporter=source metrics); null when no client sidecar is on the path.</summary>
    Uri? SourceAdmin { get; }

    /// <summary>Where the server sidecar of this path serves its reporter=destination metrics; null: the chain's server.</summary>
    Uri? DestinationAdmin => null;
}
