using Lanyard.Server.Persistence;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lanyard.Server.Tests.Persistence;

/// <summary>
/// The SQLite write gate queues transactions; what matters besides the queueing is that it can never be left
/// shut: every way a transaction ends must let the next one in, and a wait that cannot end must fail clearly.
/// </summary>
public sealed class SqliteWriteGateTests : IDisposable
{
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"lanyard-gate-{Guid.NewGuid():N}.db");
    private readonly SqliteWriteGate _gate = new(NullLogger<SqliteWriteGate>.Instance, TimeSpan.FromSeconds(30));

    public SqliteWriteGateTests()
    {
        using var db = Context();
        db.Database.EnsureCreated();
    }

    public void Dispose()
    {
        _gate.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_file + suffix);
        }
    }

    [Fact]
    public async Task A_second_transaction_waits_until_the_first_commits_then_both_writes_land()
    {
        await using var first = Context();
        await using var second = Context();
        await using var held = await first.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        first.Notes.Add(new Note { Text = "first" });
        await first.SaveChangesAsync(TestContext.Current.CancellationToken);

        var waiting = second.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Task.Delay(Blocked, TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted, "the second transaction must queue behind the first");

        await held.CommitAsync(TestContext.Current.CancellationToken);
        await using var next = await waiting.WaitAsync(Prompt, TestContext.Current.CancellationToken);
        second.Notes.Add(new Note { Text = "second" });
        await second.SaveChangesAsync(TestContext.Current.CancellationToken);
        await next.CommitAsync(TestContext.Current.CancellationToken);

        await using var check = Context();
        Assert.Equal(["first", "second"], await check.Notes.OrderBy(n => n.Id).Select(n => n.Text).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_rolled_back_transaction_lets_the_next_one_in()
    {
        await using var first = Context();
        var held = await first.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await held.RollbackAsync(TestContext.Current.CancellationToken);

        await AssertNextTransactionStartsAsync();
        await held.DisposeAsync();
    }

    [Fact]
    public async Task A_transaction_disposed_without_commit_or_rollback_lets_the_next_one_in()
    {
        await using var first = Context();
        var held = await first.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        first.Notes.Add(new Note { Text = "never committed" });
        await first.SaveChangesAsync(TestContext.Current.CancellationToken);

        await held.DisposeAsync(); // an exception between begin and commit ends like this

        await AssertNextTransactionStartsAsync();
        await using var check = Context();
        Assert.Empty(await check.Notes.ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_context_disposed_inside_a_transaction_lets_the_next_one_in()
    {
        var first = Context();
        _ = await first.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);

        await first.DisposeAsync(); // a request scope ending with its transaction still open

        await AssertNextTransactionStartsAsync();
    }

    [Fact]
    public async Task The_transaction_SaveChanges_opens_for_several_statements_lets_the_next_one_in()
    {
        await using var first = Context();
        first.Notes.Add(new Note { Text = "a" });
        first.Notes.Add(new Note { Text = "b" });
        await first.SaveChangesAsync(TestContext.Current.CancellationToken);

        await AssertNextTransactionStartsAsync();
    }

    [Fact]
    public async Task A_wait_that_cannot_end_fails_with_a_message_naming_the_cause()
    {
        using var gate = new SqliteWriteGate(NullLogger<SqliteWriteGate>.Instance, TimeSpan.FromMilliseconds(200));
        await using var first = Context(gate);
        await using var second = Context(gate);
        await using var held = await first.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => second.Database.BeginTransactionAsync(TestContext.Current.CancellationToken));

        Assert.Contains("single write lock", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wait_of_a_second_or_more_is_logged_as_a_warning()
    {
        var logs = new RecentLogs();
        using var loggers = new LoggerFactory([logs]);
        using var gate = new SqliteWriteGate(loggers.CreateLogger<SqliteWriteGate>(), TimeSpan.FromSeconds(30));
        await using var first = Context(gate);
        await using var second = Context(gate);
        var held = await first.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);

        var waiting = second.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromMilliseconds(1_100), TestContext.Current.CancellationToken);
        await held.CommitAsync(TestContext.Current.CancellationToken);
        await using var next = await waiting.WaitAsync(Prompt, TestContext.Current.CancellationToken);

        var warning = Assert.Single(logs.Lines);
        Assert.Contains($" {LogLevel.Warning} {typeof(SqliteWriteGate).FullName}[1303]: ", warning, StringComparison.Ordinal);
        Assert.Contains("single writer", warning, StringComparison.Ordinal);
        await held.DisposeAsync();
    }

    private async Task AssertNextTransactionStartsAsync()
    {
        await using var next = Context();
        await using var transaction = await next.Database.BeginTransactionAsync(TestContext.Current.CancellationToken)
            .WaitAsync(Prompt, TestContext.Current.CancellationToken);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
    }

    private NotesContext Context(SqliteWriteGate? gate = null) => new(new DbContextOptionsBuilder<NotesContext>()
        .UseSqlite($"Data Source={_file}")
        .AddInterceptors(gate ?? _gate)
        .Options);

    private sealed class NotesContext(DbContextOptions<NotesContext> options) : DbContext(options)
    {
        public DbSet<Note> Notes => Set<Note>();
    }

    private sealed class Note
    {
        public int Id { get; set; }

        public required string Text { get; set; }
    }
}
