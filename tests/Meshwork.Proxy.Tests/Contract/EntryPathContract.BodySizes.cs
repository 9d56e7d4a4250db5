namespace Meshwork.Proxy.Tests.Contract;

/// <summary>istio_request_bytes and istio_response_bytes, held on every path: the body bytes the sidecar relayed.</summary>
public abstract partial class EntryPathContract
{
    [Fact]
    public virtual async Task Both_reporters_measure_the_response_body_relayed_and_an_empty_request_body()
    {
        const int Size = 12_345;
        var (chain, entry) = await OpenAsync(new ChainShape());
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", $"/bytes/{Size}"));
        Assert.Equal(200, response.Status);
        Assert.Equal(Size, response.Body.Length);

        await AssertBodySizesAsync(DestinationAdmin(chain, entry), "destination", Size);
        if (NoSourceReporter is null && SourceCountsTcp is null) await AssertBodySizesAsync(entry.SourceAdmin!, "source", Size);
    }

    private static async Task AssertBodySizesAsync(Uri admin, string reporter, long responseBytes)
    {
        static bool Ok(RequestSeries s) => s["response_code"] == "200";
        var responseSum = await RequestSeries.WaitForAsync(admin, reporter, Ok, "istio_response_bytes_sum");
        Assert.NotNull(responseSum);
        Assert.Equal(responseBytes, responseSum.Count);
        // Istio's buckets: the body falls above 10000 and at or below 30000.
        Assert.Equal(0, (await RequestSeries.WaitForAsync(admin, reporter, s => Ok(s) && s["le"] == "10000", "istio_response_bytes_bucket"))!.Count);
        Assert.Equal(1, (await RequestSeries.WaitForAsync(admin, reporter, s => Ok(s) && s["le"] == "30000", "istio_response_bytes_bucket"))!.Count);
        var requestCount = await RequestSeries.WaitForAsync(admin, reporter, Ok, "istio_request_bytes_count");
        Assert.Equal(1, requestCount!.Count);
        Assert.Equal(0, (await RequestSeries.WaitForAsync(admin, reporter, Ok, "istio_request_bytes_sum"))!.Count);
    }
}
