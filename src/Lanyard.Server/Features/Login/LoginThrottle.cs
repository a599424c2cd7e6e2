using System.Data.Common;
using Lanyard.Server.Common;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Lanyard.Server.Features.Login;

internal enum ThrottleVerdict
{
    Allowed,

    /// <summary>Too many attempts for this account in the window: the password is not even checked.</summary>
    AccountLocked,

    /// <summary>Too many attempts from this client address: answered 429.</summary>
    AddressThrottled,
}

/// <summary>
/// Counts login attempts per account (tenant + identifier) and per client address in fixed windows. The
/// attempt is counted before the password is checked, with an atomic upsert that returns the new count,
/// so 200 parallel guesses evaluate at most the limit (ZITADEL CVE-2023-47111 was the parallel bypass).
/// A successful login clears the account's count.
/// </summary>
internal sealed class LoginThrottle(DbContextOnDemand db, ServerSettings settings, TimeProvider time)
{
    public async Task<ThrottleVerdict> CountAttemptAsync(string tenantId, string identifier, string? address, CancellationToken cancellationToken)
    {
        var protocol = settings.Protocol;
        if (address is not null
            && await IncrementAsync(Key("addr", address), protocol.AddressAttemptWindow, cancellationToken) > protocol.AddressAttemptLimit)
        {
            return ThrottleVerdict.AddressThrottled;
        }

        var count = await IncrementAsync(Key("acct", tenantId + ":" + Normalize.Key(identifier)), protocol.AccountAttemptWindow, cancellationToken);
        return count > protocol.AccountAttemptLimit ? ThrottleVerdict.AccountLocked : ThrottleVerdict.Allowed;
    }

    /// <summary>
    /// Counts a failed client authentication per (client, address) and says whether that pair is over its
    /// limit. Keyed by address too, so guessing from one place never locks a legitimate client out elsewhere.
    /// </summary>
    public async Task<bool> CountClientFailureAsync(string clientId, string? address, CancellationToken cancellationToken)
    {
        var protocol = settings.Protocol;
        var count = await IncrementAsync(Key("client", clientId + ":" + address), protocol.AccountAttemptWindow, cancellationToken);
        return count > protocol.AccountAttemptLimit;
    }

    /// <summary>
    /// Counts one use of a rate-limited action (a workflow email per address, a signup per client address…)
    /// and says whether it is over <paramref name="limit"/> in the current <paramref name="window"/>.
    /// <paramref name="kind"/> names the action; <paramref name="value"/> is hashed before it is stored.
    /// </summary>
    public async Task<bool> IsOverLimitAsync(string kind, string value, int limit, TimeSpan window, CancellationToken cancellationToken) =>
        await IncrementAsync(Key(kind, value), window, cancellationToken) > limit;

    /// <summary>Forgets the count of one rate-limited action (e.g. after a successful MFA challenge).</summary>
    public Task ClearAsync(string kind, string value, CancellationToken cancellationToken)
    {
        var key = Key(kind, value);
        return db.Context.ThrottleCounters.Where(c => c.Key == key).ExecuteDeleteAsync(cancellationToken);
    }

    public Task ClearAccountAsync(string tenantId, string identifier, CancellationToken cancellationToken)
    {
        var key = Key("acct", tenantId + ":" + Normalize.Key(identifier));
        return db.Context.ThrottleCounters.Where(c => c.Key == key).ExecuteDeleteAsync(cancellationToken);
    }

    private string Key(string kind, string value) => OpaqueToken.Hash($"{db.Context.Tenant.ApplicationId}:{kind}:{value}");

    private async Task<int> IncrementAsync(string key, TimeSpan window, CancellationToken cancellationToken)
    {
        var index = time.GetUtcNow().ToUnixTimeSeconds() / (long)window.TotalSeconds;
        var connection = db.Context.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await connection.OpenAsync(cancellationToken);
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = db.Context.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = """
                INSERT INTO throttle_counters (key, application_id, window_index, count) VALUES (@key, @app, @window, 1)
                ON CONFLICT (key) DO UPDATE SET
                  count = CASE WHEN throttle_counters.window_index = excluded.window_index THEN throttle_counters.count + 1 ELSE 1 END,
                  window_index = excluded.window_index
                RETURNING count
                """;
            Add(command, "@key", key);
            Add(command, "@app", db.Context.Tenant.ApplicationId!);
            Add(command, "@window", index);
            return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            if (opened)
            {
                await connection.CloseAsync();
            }
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
