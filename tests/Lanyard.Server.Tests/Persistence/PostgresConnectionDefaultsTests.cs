using Lanyard.Server.Persistence;
using Npgsql;

namespace Lanyard.Server.Tests.Persistence;

public sealed class PostgresConnectionDefaultsTests
{
    [Fact]
    public void Adds_statement_preparation_and_no_pool_reset_when_the_operator_sets_neither()
    {
        var errors = new List<string>();

        var applied = new NpgsqlConnectionStringBuilder(PostgresConnectionDefaults.Apply("Host=db;Database=lanyard;Username=lanyard", errors));

        Assert.Empty(errors);
        Assert.Equal(PostgresConnectionDefaults.MaxAutoPrepare, applied.MaxAutoPrepare);
        Assert.True(applied.NoResetOnClose);
        Assert.Equal(PostgresConnectionDefaults.DefaultMaxPoolSize(Environment.ProcessorCount), applied.MaxPoolSize);
        Assert.Equal("db", applied.Host);
        Assert.Equal("lanyard", applied.Database);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false;Maximum Pool Size=250")]
    [InlineData("Host=db;maxautoprepare=0;NORESETONCLOSE=false;MaxPoolSize=250")]
    [InlineData("Host=db;maxautoprepare=0;NORESETONCLOSE=false;MAXIMUM POOL SIZE=250")]
    public void Keeps_what_the_operator_set_however_the_keyword_is_spelled(string connectionString)
    {
        var applied = new NpgsqlConnectionStringBuilder(PostgresConnectionDefaults.Apply(connectionString, []));

        Assert.Equal(0, applied.MaxAutoPrepare);
        Assert.False(applied.NoResetOnClose);
        Assert.Equal(250, applied.MaxPoolSize);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 16)]
    [InlineData(8, 64)]
    [InlineData(64, 100)]
    public void The_default_pool_grows_with_the_processors_up_to_npgsqls_own_default(int processors, int expected) =>
        Assert.Equal(expected, PostgresConnectionDefaults.DefaultMaxPoolSize(processors));

    [Fact]
    public void A_minimum_pool_size_above_the_default_maximum_raises_the_maximum_so_npgsql_accepts_the_string()
    {
        var errors = new List<string>();

        var applied = new NpgsqlConnectionStringBuilder(PostgresConnectionDefaults.Apply("Host=db;Minimum Pool Size=120", errors));

        Assert.Empty(errors);
        Assert.Equal(120, applied.MinPoolSize);
        Assert.Equal(120, applied.MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=db;Password=hunter2-secret;Frobnicate=yes")]
    [InlineData("Host=db;Password=hunter2-secret;Port=not-a-port")]
    [InlineData("Host=db;Password='hunter2-secret")]
    public void An_invalid_connection_string_is_an_error_that_does_not_repeat_the_password(string connectionString)
    {
        var errors = new List<string>();

        Assert.Null(PostgresConnectionDefaults.Apply(connectionString, errors));

        var error = Assert.Single(errors);
        Assert.StartsWith("Lanyard:Database:ConnectionString is not a valid PostgreSQL connection string", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }
}
