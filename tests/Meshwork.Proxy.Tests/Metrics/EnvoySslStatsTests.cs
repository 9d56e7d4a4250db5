using Meshwork.Proxy.Metrics;

namespace Meshwork.Proxy.Tests.Metrics;

/// <summary>Which of Envoy's ssl.* counters a handshake outcome adds to.</summary>
public sealed class EnvoySslStatsTests
{
    [Theory]
    [InlineData("success", "ok", "handshake")]
    [InlineData("failure", "no_client_certificate", "fail_verify_no_cert")]
    [InlineData("failure", "no_server_certificate", "fail_verify_no_cert")]
    [InlineData("failure", "untrusted_chain", "fail_verify_error")]
    [InlineData("failure", "expired", "fail_verify_error")]
    [InlineData("failure", "untrusted_trust_domain", "fail_verify_error")]
    [InlineData("failure", "not_spiffe", "fail_verify_error")]
    [InlineData("failure", "secure_naming", "fail_verify_san")]
    [InlineData("failure", "handshake_error", "connection_error")]
    [InlineData("failure", "timeout", "connection_error")]
    [InlineData("failure", "peer_closed", "connection_error")]
    public void An_outcome_counts_under_Envoys_name(string result, string reason, string counter) =>
        Assert.Equal(counter, EnvoySslStats.CounterOf(result, reason));
}
