using Meshwork.Store;

namespace Meshwork.ControlPlane.Tests.Store;

public sealed class LabelSelectorQueryTests
{
    private static readonly Dictionary<string, string> Sleep = new() { ["app"] = "sleep", ["version"] = "v1" };

    [Theory]
    [InlineData("app=sleep", true)]
    [InlineData("app==sleep", true)]
    [InlineData("app=httpbin", false)]
    [InlineData("app!=httpbin", true)]
    [InlineData("app=sleep,version=v2", false)]
    [InlineData("app in (httpbin, sleep)", true)]
    [InlineData("app notin (sleep)", false)]
    [InlineData("version", true)]
    [InlineData("!version", false)]
    [InlineData("", true)]
    public void Matches_like_kubectl(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelectorQuery.Parse(selector).Matches(Sleep));

    [Theory]
    [InlineData("app in sleep")]
    [InlineData("=sleep")]
    [InlineData("app=bad value!")]
    public void Rejects_malformed_selectors(string selector) =>
        Assert.Throws<FormatException>(() => LabelSelectorQuery.Parse(selector));
}
