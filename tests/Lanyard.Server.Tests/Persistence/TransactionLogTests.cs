using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Persistence;

/// <summary>
/// A client that hangs up while its write commits cancels the commit. That is the client's doing, not a fault an
/// operator can act on, so it must not reach the log as an error (EF Core's own transaction-error line did).
/// </summary>
public abstract class TransactionLogTests(LanyardFactory factory) : IAsyncLifetime
{
    private Tenant _tenant = null!;

    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        _tenant = await factory.CreateTenantAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_commit_cancelled_by_the_caller_logs_no_error_and_writes_nothing()
    {
        var name = $"cancelled-{Guid.NewGuid():N}"[..24];
        await using (var scope = factory.ScopeFor(_tenant.ApplicationId, _tenant.Id))
        {
            var db = LanyardFactory.Db(scope);
            await using var transaction = await db.Database.BeginTransactionAsync();
            var tenant = await db.Tenants.AsTracking().SingleAsync(t => t.Id == _tenant.Id);
            tenant.DisplayName = name;
            await db.SaveChangesAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transaction.CommitAsync(new CancellationToken(canceled: true)));
        }

        await using (var scope = factory.ScopeFor(_tenant.ApplicationId, _tenant.Id))
        {
            Assert.NotEqual(name, (await LanyardFactory.Db(scope).Tenants.SingleAsync(t => t.Id == _tenant.Id)).DisplayName);
        }

        Assert.Empty(factory.Logs.Errors);
    }
}

public sealed class TransactionLogOnSqlite(SqliteLanyard factory) : TransactionLogTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TransactionLogOnPostgres(PostgresLanyard factory) : TransactionLogTests(factory), IClassFixture<PostgresLanyard>;
