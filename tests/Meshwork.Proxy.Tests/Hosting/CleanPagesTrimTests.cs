using Meshwork.Proxy.Hosting;

namespace Meshwork.Proxy.Tests.Hosting;

public sealed class CleanPagesTrimTests
{
    [Fact]
    public void Releases_the_resident_read_only_file_pages_of_this_process()
    {
        // This process runs code mapped from files (libc's, the runtime's): some of it is resident now, and what is
        // released faults back in from the file when it runs again, as the rest of this test run shows.
        Assert.True(CleanPagesTrim.Run() > 0, "no read-only file page was released");
    }
}
