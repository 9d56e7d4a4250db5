using Meshwork.ControlPlane.ConfigApi;
using Meshwork.ControlPlane.ConfigApi.Tables;
using Meshwork.Model.Resources;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.Tests.ConfigApi;

public sealed class FieldSelectorAndDryRunTests
{
    private static Namespace Ns(string name) => new() { ApiVersion = "v1", Metadata = new ObjectMeta { Name = name } };

    [Fact]
    public void A_field_selector_matches_on_name_and_namespace_and_refuses_other_fields()
    {
        var byName = FieldSelectorQuery.Parse("metadata.name=foo");
        Assert.True(byName.Matches(Ns("foo")));
        Assert.False(byName.Matches(Ns("bar")));
        Assert.True(FieldSelectorQuery.Parse("metadata.name!=foo").Matches(Ns("bar")));
        Assert.True(FieldSelectorQuery.Parse("").IsEmpty);
        var error = Assert.Throws<FormatException>(() => FieldSelectorQuery.Parse("status.phase=Running"));
        Assert.Contains("status.phase", error.Message);
    }

    private static HttpRequest Request(string query, string? accept = null)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        if (accept is not null) context.Request.Headers.Accept = accept;
        return context.Request;
    }

    [Fact]
    public void A_dry_run_is_read_from_the_query_or_from_delete_options_and_anything_but_All_is_refused()
    {
        Assert.False(DryRun.IsRequested(Request("")));
        Assert.True(DryRun.IsRequested(Request("?dryRun=All")));
        Assert.Throws<FormatException>(() => DryRun.IsRequested(Request("?dryRun=Yes")));

        Assert.Equal((true, null), DryRun.ReadDeleteOptions(Request(""), """{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}"""));
        Assert.Equal((false, "42"), DryRun.ReadDeleteOptions(Request(""), """{"preconditions":{"resourceVersion":"42"}}"""));
        Assert.Equal((false, null), DryRun.ReadDeleteOptions(Request(""), ""));
        Assert.Throws<FormatException>(() => DryRun.ReadDeleteOptions(Request(""), """{"dryRun":["Some"]}"""));
        Assert.Throws<FormatException>(() => DryRun.ReadDeleteOptions(Request(""), "not json"));
    }

    [Theory]
    [InlineData("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", true)]
    [InlineData("application/json", false)]
    [InlineData("application/json;as=Table;v=v1beta1;g=meta.k8s.io", false)]
    public void A_table_is_served_only_when_the_accept_header_offers_the_v1_table(string accept, bool expected)
    {
        Assert.Equal(expected, ServerSideTable.IsRequested(Request("", accept)));
    }
}
