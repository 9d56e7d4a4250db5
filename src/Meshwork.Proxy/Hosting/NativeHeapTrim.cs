using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// Gives the C library's free heap memory back to the system: what OpenSSL and the runtime allocated with malloc
/// during start-up (the control plane's TLS connection, the certificate request, the first handshakes) and freed
/// stays resident in glibc's arenas, whose free pages in the middle of a heap glibc keeps until malloc_trim(3) asks
/// (free(3) only gives back the top of the main heap).
/// </summary>
internal static partial class NativeHeapTrim
{
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>True when memory was released; false where nothing was, or the C library has no malloc_trim (musl).</summary>
    public static bool Run()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return MallocTrim(0) == 1; }
        catch (EntryPointNotFoundException) { return false; }
    }
}
