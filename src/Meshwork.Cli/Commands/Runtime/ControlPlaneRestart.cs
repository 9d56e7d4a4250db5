using System.Security.Cryptography.X509Certificates;
using Meshwork.Api;
using Meshwork.Identity;
using Meshwork.Runtime;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>
/// `rollout restart deployment/istiod -n istio-system`: the control plane plays istiod. A live one is restarted
/// through the API as kubectl does it (it takes up its CA again, a cacerts secret plugged in since, in place);
/// one recorded but gone is started again on its port, as Kubernetes replaces a pod that died, and takes up its
/// CA as it starts. It says which CA signs now and what that means for the running workloads.
/// </summary>
internal static class ControlPlaneRestart
{
    public static async Task<int> RunAsync(StateDirectory state, Func<Task<int>> restartThroughApi, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var before = Roots(state);
        if (ServerInfo.Read(state) is not null && await LiveServer.ReadAsync(state, cancellationToken) is null)
        {
            try
            {
                var mesh = new LocalMesh(state, RuntimeCommands.MeshworkExecutable, line => stdout.WriteLine($"meshwork: {line}"));
                var server = await mesh.RestartServerAsync(TimeSpan.FromSeconds(90), cancellationToken);
                stdout.WriteLine("deployment.apps/istiod restarted");
                stdout.WriteLine($"meshwork: control plane {server.Url} (pid {server.Pid})");
            }
            catch (LocalMeshException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 1;
            }
        }
        else if (await restartThroughApi() is var code and not 0)
        {
            return code;
        }
        var after = Roots(state);
        var added = after.Where(r => !before.Any(b => b.RawData.AsSpan().SequenceEqual(r.RawData))).ToList();
        if (added.Count > 0)
        {
            stdout.WriteLine($"meshwork: new root in the trust bundle: \"{added[0].Subject}\"; the bundle keeps {after.Count - added.Count} earlier root(s)," +
                " so running workloads keep talking while they renew onto the new CA");
            stdout.WriteLine("meshwork: workloads renew at half their certificate lifetime; `meshwork rollout restart deployment/NAME -n NS` renews one now." +
                " A client that trusts only the old root (outside the mesh) must be given the new root-cert.pem before the old root is removed");
        }
        return 0;
    }

    private static IReadOnlyList<X509Certificate2> Roots(StateDirectory state)
    {
        try
        {
            return File.Exists(state.RootCertFile) ? Pem.ReadCertificates(File.ReadAllText(state.RootCertFile)) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }
}
