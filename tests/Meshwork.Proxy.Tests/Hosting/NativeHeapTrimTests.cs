using System.Runtime.InteropServices;
using Meshwork.Proxy.Hosting;

namespace Meshwork.Proxy.Tests.Hosting;

public sealed class NativeHeapTrimTests
{
    [Fact]
    public void Gives_back_the_free_pages_in_the_middle_of_the_C_heap()
    {
        // 16 MiB in small blocks (under the mmap threshold, so from the heap), written, then all freed but the last: the
        // free pages lie below a block still in use, where free(3) alone gives nothing back.
        var page = new byte[1024];
        Array.Fill(page, (byte)1);
        var blocks = new nint[16 * 1024];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(page.Length);
            Marshal.Copy(page, 0, blocks[i], page.Length);
        }
        try
        {
            for (var i = 0; i < blocks.Length - 1; i++) Marshal.FreeHGlobal(blocks[i]);
            Assert.True(NativeHeapTrim.Run(), "malloc_trim released nothing");
        }
        finally { Marshal.FreeHGlobal(blocks[^1]); }
    }
}
