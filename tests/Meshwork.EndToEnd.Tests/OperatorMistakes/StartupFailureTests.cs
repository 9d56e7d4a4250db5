using System.Net;
using System.Net.Sockets;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.OperatorMistakes;

/// <summary>
/// A new user's mistakes at startup, through the real CLI: each is one or two lines on stderr that say what to
/// do, a non-zero exit, and no .NET stack trace.
/// </summary>
public sealed class StartupFailureTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private static void AssertOneOrTwoLines(CommandResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length is >= 1 and <= 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_when_the_control_plane_port_is_taken_says_so_in_two_lines()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var state = new TemporaryDirectory();

        var result = await Mw.RunProcessAsync(Mw.Executable, ["--state-dir", state.Path, "up", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], Bound);

        AssertOneOrTwoLines(result, "already in use");
        Assert.Contains("--port", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_with_a_state_directory_that_is_a_file_says_so_in_one_line()
    {
        using var work = new TemporaryDirectory();
        var file = Path.Combine(work.Path, "not-a-directory");
        await File.WriteAllTextAsync(file, "");

        var result = await Mw.RunProcessAsync(Mw.Executable, ["--state-dir", file, "up", "--port", "0"], Bound);

        AssertOneOrTwoLines(result, "as the state directory");
    }

    [Fact]
    public async Task Server_with_cacerts_that_hold_no_certificate_says_which_file_in_one_line()
    {
        using var work = new TemporaryDirectory();
        var cacerts = Directory.CreateDirectory(Path.Combine(work.Path, "cacerts")).FullName;
        foreach (var name in new[] { "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem" })
            await File.WriteAllTextAsync(Path.Combine(cacerts, name), "not a PEM file\n");

        var result = await Mw.RunProcessAsync(Mw.Executable, ["--state-dir", Path.Combine(work.Path, "state"), "server", "--port", "0", "--cacerts", cacerts], Bound);

        AssertOneOrTwoLines(result, "ca-cert.pem");
    }
}
