using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.Identity;
using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Ca;

/// <summary>The CA the control plane would sign with if it started now, or why it cannot load.</summary>
public sealed record CaLoad(CertificateAuthority.CertificateAuthority? Ca, string? Problem);

/// <summary>
/// Where the control plane's CA comes from, decided as istiod decides it when its pod starts: the
/// <c>--cacerts</c> directory, else the Secret istio-system/cacerts (Istio's way to plug in a CA,
/// <c>kubectl create secret generic cacerts --from-file=...</c>), else the self-signed root of the state
/// directory. Used when the control plane starts and when istiod is restarted through the API.
/// </summary>
public static class CaSource
{
    public static readonly ResourceKey CacertsSecret = new("Secret", ControlPlaneDeployment.Namespace, "cacerts");

    private static readonly string[] CacertsFiles = [CaFiles.CaCert, CaFiles.CaKey, CaFiles.RootCert, CaFiles.CertChain];

    /// <summary>
    /// Loads the CA from its source as istiod takes it up, at start and on a restart: the --cacerts directory when
    /// given, else the stored <c>cacerts</c> secret, else the self-signed root.
    /// </summary>
    public static async Task<CaLoad> LoadAsync(ControlPlaneOptions options, CaOptions caOptions, IResourceStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        var secret = options.CacertsDirectory is null
            ? await store.FindAsync(CacertsSecret, cancellationToken).ConfigureAwait(false) as Secret
            : null;
        return Load(options, caOptions, secret);
    }

    /// <summary>Loads the CA from its source; a source that cannot be used is a <see cref="CaLoad.Problem"/>, never a fallback.</summary>
    public static CaLoad Load(ControlPlaneOptions options, CaOptions caOptions, Secret? cacerts)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = options.StateDirectory;
        if (options.CacertsDirectory is { } given) return LoadPluggedIn(given, caOptions, $"--cacerts {given}");
        if (cacerts is null) return new CaLoad(CertificateAuthority.CertificateAuthority.LoadOrCreateSelfSigned(state.Root, caOptions), null);
        var missing = CacertsFiles.Where(f => !cacerts.Data.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            return new CaLoad(null, $"secret istio-system/cacerts lacks {string.Join(", ", missing)} (a plugged-in CA needs {string.Join(", ", CacertsFiles)})");
        }
        // The secret's files are written beside the ones in use and take their place only once they load,
        // so that a bad secret leaves the last good copy where the next start finds it.
        var directory = Path.Combine(state.CaDirectory, "cacerts-secret");
        var pending = directory + ".pending";
        ControlPlaneHost.CreatePrivateDirectory(state.CaDirectory);
        if (Directory.Exists(pending)) Directory.Delete(pending, recursive: true);
        ControlPlaneHost.CreatePrivateDirectory(pending);
        foreach (var file in CacertsFiles)
        {
            var text = System.Text.Encoding.UTF8.GetString(cacerts.Data[file].AsSpan());
            // Switching from the self-signed root: the trust bundle carries both roots, as Istio's root
            // transition does by hand (a combined root-cert.pem), so that running workloads whose
            // certificates the old root issued keep being accepted until they renew onto the new CA.
            if (file == CaFiles.RootCert && PreviousSelfSignedRoots(state) is { Length: > 0 } previous)
            {
                text = (text.EndsWith('\n') ? text : text + "\n") + previous;
            }
            AtomicFile.WriteAllText(Path.Combine(pending, file), text, AtomicFile.Private);
        }
        var load = LoadPluggedIn(pending, caOptions, "secret istio-system/cacerts");
        if (load.Ca is null)
        {
            Directory.Delete(pending, recursive: true);
            return load;
        }
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.Move(pending, directory);
        return load;
    }

    /// <summary>Writes &lt;state&gt;/root-cert.pem, the roots that clients of the control plane and the mesh trust.</summary>
    public static void WriteRootCertificates(StateDirectory state, TrustBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(bundle);
        AtomicFile.WriteAllText(state.RootCertFile, string.Concat(bundle.ToPem().Select(p => p.EndsWith('\n') ? p : p + "\n")), AtomicFile.Public);
    }

    private static CaLoad LoadPluggedIn(string directory, CaOptions caOptions, string source)
    {
        try
        {
            return new CaLoad(CertificateAuthority.CertificateAuthority.LoadPluggedIn(directory, caOptions), null);
        }
        catch (CaException e)
        {
            return new CaLoad(null, $"{source}: {e.Message}");
        }
    }

    /// <summary>The self-signed root(s) this state directory's control plane signed with before, still valid; "" when none.</summary>
    private static string PreviousSelfSignedRoots(StateDirectory state)
    {
        var file = Path.Combine(CaFiles.SelfSignedDirectory(state.Root), CaFiles.RootCert);
        if (!File.Exists(file)) return "";
        var valid = Pem.ReadCertificates(File.ReadAllText(file)).Where(r => r.NotAfter.ToUniversalTime() > DateTime.UtcNow).ToList();
        return valid.Count == 0 ? "" : Pem.Write(valid);
    }
}
