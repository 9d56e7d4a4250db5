using Meshwork.Store.Postgres;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Store;

public sealed class PostgresConnectionUrlTests
{
    [Fact]
    public void A_libpq_url_becomes_a_connection_with_bounded_waits()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionUrl.ToConnectionString("postgres://mesh%40ops:s3cr%2Ft@db.example:6543/meshwork?sslmode=verify-full&connect_timeout=5"));

        Assert.Equal("db.example", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("meshwork", builder.Database);
        Assert.Equal("mesh@ops", builder.Username);
        Assert.Equal("s3cr/t", builder.Password);
        Assert.Equal(SslMode.VerifyFull, builder.SslMode);
        Assert.Equal(5, builder.Timeout);
        Assert.True(builder.CommandTimeout > 0);
    }

    [Fact]
    public void The_default_port_is_PostgreSQLs()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionUrl.ToConnectionString("postgresql://meshwork@127.0.0.1/mesh"));
        Assert.Equal(5432, builder.Port);
        Assert.Null(builder.Password);
    }

    [Theory]
    [InlineData("mysql://meshwork@127.0.0.1/mesh", "URL such as postgres://")]
    [InlineData("postgres://127.0.0.1:5432/mesh", "names no user")]
    [InlineData("postgres://meshwork@127.0.0.1:5432/", "one database")]
    [InlineData("postgres://meshwork@127.0.0.1:5432/mesh?target_session_attrs=any", "\"target_session_attrs\" is not supported")]
    [InlineData("postgres://meshwork@127.0.0.1:5432/mesh?sslmode=maybe", "sslmode \"maybe\"")]
    public void A_url_this_store_cannot_honour_is_refused_naming_the_part(string url, string expected)
    {
        var error = Assert.Throws<FormatException>(() => PostgresConnectionUrl.ToConnectionString(url));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
