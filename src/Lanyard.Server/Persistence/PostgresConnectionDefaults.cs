using System.Data.Common;
using Npgsql;

namespace Lanyard.Server.Persistence;

/// <summary>
/// Npgsql settings Lanyard is measured with (docs/performance.md), added to the operator's PostgreSQL connection
/// string unless it sets them itself:
/// <list type="bullet">
/// <item><c>Max Auto Prepare=64</c>: the few dozen statements of the token, userinfo and login paths are prepared
/// once per connection instead of parsed and planned on every request; this halved PostgreSQL's CPU per request.
/// Behind PgBouncer in transaction mode (before 1.21, or without <c>max_prepared_statements</c>) set it to 0.</item>
/// <item><c>No Reset On Close=true</c>: a pooled connection is not reset (<c>DISCARD ALL</c>) each time EF Core hands
/// it back, several times per request. Lanyard sets no session state (no <c>SET</c>, temporary tables, session
/// locks or <c>LISTEN</c>) that a reset would clear.</item>
/// <item><c>Maximum Pool Size</c> of eight per processor, at most Npgsql's own default of 100: under load Npgsql
/// otherwise opens up to 100 connections per node, and the extra PostgreSQL backends add scheduling latency
/// instead of throughput (on 2 cores, 16 connections gave the best peak and p99 of 8, 16 and 100; ADR 0015). It
/// also keeps a few nodes within PostgreSQL's default <c>max_connections</c> of 100. Never below the operator's
/// <c>Minimum Pool Size</c>, which Npgsql requires.</item>
/// </list>
/// </summary>
internal static class PostgresConnectionDefaults
{
    public const int MaxAutoPrepare = 64;

    private const int ConnectionsPerProcessor = 8;
    private const int NpgsqlDefaultMaxPoolSize = 100;

    /// <summary>The pool size Lanyard uses unless told otherwise, for the processors this process may use.</summary>
    public static int DefaultMaxPoolSize(int processorCount) =>
        Math.Min(NpgsqlDefaultMaxPoolSize, ConnectionsPerProcessor * Math.Max(1, processorCount));

    /// <summary>The connection string with the defaults added, or null and an error (naming no value: it may hold a password).</summary>
    public static string? Apply(string connectionString, List<string> errors)
    {
        NpgsqlConnectionStringBuilder npgsql;
        DbConnectionStringBuilder given;
        try
        {
            given = new DbConnectionStringBuilder { ConnectionString = connectionString };
            npgsql = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            errors.Add($"Lanyard:Database:ConnectionString is not a valid PostgreSQL connection string: {FirstLine(e.Message)}");
            return null;
        }

        if (!Sets(given, "MaxAutoPrepare"))
        {
            npgsql.MaxAutoPrepare = MaxAutoPrepare;
        }

        if (!Sets(given, "NoResetOnClose"))
        {
            npgsql.NoResetOnClose = true;
        }

        if (!Sets(given, "MaxPoolSize", "MaximumPoolSize"))
        {
            npgsql.MaxPoolSize = Math.Max(DefaultMaxPoolSize(Environment.ProcessorCount), npgsql.MinPoolSize);
        }

        return npgsql.ConnectionString;
    }

    // Npgsql takes a setting by its property name or its display name, in any case ("MaxAutoPrepare", "max auto
    // prepare"); without spaces those are one word, except where the two names differ ("MaxPoolSize", "Maximum Pool Size").
    private static bool Sets(DbConnectionStringBuilder given, params string[] keywords) =>
        given.Keys.Cast<string>().Any(key => keywords.Any(keyword =>
            string.Equals(key.Replace(" ", "", StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase)));

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
