using System.Net;
using Lanyard.Server.Features.Email;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Email;

/// <summary>
/// The email outbox: a message saved with a unit of work is delivered by the background worker; a failed
/// delivery is retried after a backoff measured on the server's clock, and given up after the configured
/// attempts; the development mailbox shows what was queued, only on the application host.
/// </summary>
public abstract class OutboxTests
{
    private readonly LanyardFactory _factory;

    protected OutboxTests(LanyardFactory factory)
    {
        _factory = factory
            .With("Lanyard:Email:Outbox:MaxAttempts", "3")
            .With("Lanyard:Email:Outbox:RetryBaseDelaySeconds", "30")
            .With("Lanyard:Email:Outbox:PollIntervalSeconds", "1");
    }

    private async Task<string> EnqueueAsync(string to, bool commit = true)
    {
        await _factory.StartAsync();
        await using var scope = _factory.ScopeFor(_factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        await using var transaction = await db.Database.BeginTransactionAsync();
        var email = EmailTemplates.PasswordReset(new EmailBrand("Acme <b>Inc</b>"), "https://demo-auth.localhost/reset-password?code=abc", _factory.Time.GetUtcNow().AddHours(1));
        scope.ServiceProvider.GetRequiredService<EmailOutbox>().Enqueue(email, to, tenantId: null);
        await db.SaveChangesAsync();
        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }

        return await db.OutboxMessages.AsNoTracking().Where(m => m.ToAddress == to).Select(m => m.Id).FirstOrDefaultAsync() ?? "";
    }

    private async Task<OutboxMessage> RowAsync(string to)
    {
        await using var scope = _factory.ScopeFor(_factory.Bootstrap.ApplicationId);
        return await LanyardFactory.Db(scope).OutboxMessages.AsNoTracking().SingleAsync(m => m.ToAddress == to);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The outbox worker did not get there in 10 s.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_committed_message_is_delivered_at_once_with_both_bodies_and_the_sender_name()
    {
        var to = $"first{Guid.NewGuid():N}@example.com";
        await EnqueueAsync(to);

        var sent = await _factory.Emails.WaitForAsync(to, EmailTypes.PasswordReset, timeout: TimeSpan.FromSeconds(3));

        Assert.Equal("Reset your Acme <b>Inc</b> password", sent.Subject);
        Assert.Contains("https://demo-auth.localhost/reset-password?code=abc", sent.TextBody, StringComparison.Ordinal);
        Assert.Contains("Acme &lt;b&gt;Inc&lt;/b&gt;", sent.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("Acme <b>Inc</b>", sent.FromName);
        await WaitUntilAsync(async () => (await RowAsync(to)).Status == OutboxStatus.Sent);
        Assert.Equal(1, (await RowAsync(to)).Attempts);
    }

    [Fact]
    public async Task A_rolled_back_unit_of_work_sends_nothing()
    {
        var to = $"rolledback{Guid.NewGuid():N}@example.com";

        var id = await EnqueueAsync(to, commit: false);

        Assert.Equal("", id);
        Assert.Equal(0, await _factory.Emails.CountAfterQuietAsync(to, TimeSpan.FromSeconds(1.5)));
    }

    [Fact]
    public async Task A_failed_delivery_waits_for_its_backoff_then_succeeds_and_the_error_names_no_address()
    {
        var to = $"retry{Guid.NewGuid():N}@example.com";
        _factory.Emails.FailNext(1);
        await EnqueueAsync(to);
        await WaitUntilAsync(async () => (await RowAsync(to)).Attempts == 1);
        var failed = await RowAsync(to);
        Assert.Equal(OutboxStatus.Pending, failed.Status);
        Assert.Contains("Connection refused", failed.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("someone@example.com", failed.LastError, StringComparison.Ordinal);
        Assert.InRange(failed.NextAttemptAt - _factory.Time.GetUtcNow(), TimeSpan.FromSeconds(23), TimeSpan.FromSeconds(37));

        // Not before the backoff has passed on the server's clock.
        Assert.Equal(0, await _factory.Emails.CountAfterQuietAsync(to, TimeSpan.FromSeconds(1.5)));
        _factory.Time.Advance(TimeSpan.FromSeconds(40));

        await _factory.Emails.WaitForAsync(to);
        await WaitUntilAsync(async () => (await RowAsync(to)).Status == OutboxStatus.Sent);
        Assert.Equal(2, (await RowAsync(to)).Attempts);
    }

    [Fact]
    public async Task Delivery_is_given_up_after_the_configured_attempts()
    {
        var to = $"giveup{Guid.NewGuid():N}@example.com";
        _factory.Emails.FailNext(10);
        await EnqueueAsync(to);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var expected = attempt;
            await WaitUntilAsync(async () => (await RowAsync(to)).Attempts == expected);
            _factory.Time.Advance(TimeSpan.FromMinutes(5));
        }

        await WaitUntilAsync(async () => (await RowAsync(to)).Status == OutboxStatus.Failed);
        _factory.Emails.FailNext(0);
        _factory.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await _factory.Emails.CountAfterQuietAsync(to, TimeSpan.FromSeconds(1.5)));
        Assert.Equal(3, (await RowAsync(to)).Attempts);
    }

    [Fact]
    public async Task The_development_mailbox_lists_queued_mail_on_the_application_host_only()
    {
        var to = $"mailbox{Guid.NewGuid():N}@example.com";
        var id = await EnqueueAsync(to);
        await _factory.Emails.WaitForAsync(to);

        var page = await _factory.ClientFor(LanyardFactory.ApplicationHost).GetAsync("/_dev/mailbox");
        var html = await page.Content.ReadAsStringAsync();
        var preview = await _factory.ClientFor(LanyardFactory.ApplicationHost).GetAsync($"/_dev/mailbox/{id}/html");
        var onTenantHost = await _factory.ClientFor(LanyardFactory.TenantHost("demo")).GetAsync("/_dev/mailbox");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(to), html, StringComparison.Ordinal);
        Assert.Contains("reset-password?code=abc", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Contains("sandbox", preview.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, onTenantHost.StatusCode);
    }
}

public sealed class OutboxOnSqlite(SqliteLanyard factory) : OutboxTests(factory), IClassFixture<SqliteLanyard>;

public sealed class OutboxOnPostgres(PostgresLanyard factory) : OutboxTests(factory), IClassFixture<PostgresLanyard>;
