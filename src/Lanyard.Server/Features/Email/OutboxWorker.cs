using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Email;

/// <summary>
/// Delivers the outbox. Each message is claimed with a conditional update before it is sent (so two
/// server instances never send the same row twice in one round), sent through <see cref="IEmailSender"/>,
/// and on failure retried with exponential backoff until <c>Lanyard:Email:Outbox:MaxAttempts</c>.
/// </summary>
internal sealed partial class OutboxWorker(
    IServiceScopeFactory scopes, IEmailSender sender, OutboxSignal signal, ServerSettings settings, TimeProvider time,
    ILogger<OutboxWorker> logger) : BackgroundService
{
    private const int BatchSize = 20;

    /// <summary>How long a claimed message is left alone by other instances while it is being sent.</summary>
    private static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await scopes.WaitForWorkerStartAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DeliverBatchAsync(stoppingToken) == BatchSize)
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
            {
                // The database is away (restart, failover): keep the worker alive and try again at the next poll.
                OutboxUnavailable(logger, e.GetType().Name);
            }

            try
            {
                // The poll cadence is wall-clock housekeeping, not business time: it stays on the real clock.
                await signal.WaitAsync(settings.Email.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends what is due now; returns how many messages it looked at.</summary>
    internal async Task<int> DeliverBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
        var now = time.GetUtcNow();

        // The worker serves every application; this is one of the reviewed crossings of the application filter.
        var due = await db.Set<OutboxMessage>().IgnoreQueryFilters([QueryFilters.Application])
            .Where(m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now)
            .OrderBy(m => m.NextAttemptAt)
            .Take(BatchSize)
            .Select(m => new { m.Id, m.NextAttemptAt })
            .ToListAsync(cancellationToken);

        foreach (var candidate in due)
        {
            var claimedUntil = now + ClaimLease;
            var claimed = await db.Set<OutboxMessage>().IgnoreQueryFilters([QueryFilters.Application])
                .Where(m => m.Id == candidate.Id && m.Status == OutboxStatus.Pending && m.NextAttemptAt == candidate.NextAttemptAt)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.NextAttemptAt, claimedUntil), cancellationToken);
            if (claimed == 1)
            {
                await DeliverAsync(db, candidate.Id, cancellationToken);
            }
        }

        return due.Count;
    }

    private async Task DeliverAsync(LanyardDbContext db, string id, CancellationToken cancellationToken)
    {
        var message = await db.Set<OutboxMessage>().IgnoreQueryFilters([QueryFilters.Application]).AsTracking()
            .FirstAsync(m => m.Id == id, cancellationToken);
        message.Attempts++;
        try
        {
            await sender.SendAsync(
                new EmailMessage(message.ToAddress, message.Subject ?? "", message.TextBody ?? "", message.HtmlBody, message.Type, message.FromName, message.Id),
                cancellationToken);
            message.Status = OutboxStatus.Sent;
            message.SentAt = time.GetUtcNow();
            message.LastError = null;
            if (!settings.Email.KeepSentBodies)
            {
                message.Subject = null;
                message.TextBody = null;
                message.HtmlBody = null;
            }

            Delivered(logger, message.Id, message.Type, message.Attempts);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            message.LastError = Describe(e);
            if (message.Attempts >= settings.Email.MaxAttempts)
            {
                message.Status = OutboxStatus.Failed;
                GaveUp(logger, message.Id, message.Type, message.Attempts, message.LastError);
            }
            else
            {
                var delay = Backoff(message.Attempts);
                message.NextAttemptAt = time.GetUtcNow() + delay;
                WillRetry(logger, message.Id, message.Type, message.Attempts, message.LastError, delay.TotalSeconds);
            }
        }

        // Not the stopping token: a message that was sent must be recorded as sent, or it goes out twice.
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>base · 2^(attempt−1), capped at an hour, with ±20% jitter so a recovering SMTP server is not hit by every instance at once.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var exponential = settings.Email.RetryBaseDelay.TotalSeconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = Math.Min(exponential, MaxBackoff.TotalSeconds);
        var jitter = 0.8 + (System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 401) / 1000.0);
        return TimeSpan.FromSeconds(capped * jitter);
    }

    private static string Describe(Exception e)
    {
        // SMTP replies often quote the recipient; the log keeps the reason, not the address.
        var text = e.GetType().Name + (e.Message.Length > 0 ? ": " + AnAddress().Replace(e.Message, "<address>") : "");
        return text.Length > 500 ? text[..500] : text;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"[^\s<>""']+@[^\s<>""']+")]
    private static partial System.Text.RegularExpressions.Regex AnAddress();

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Email {MessageId} of type {EmailType} delivered (attempt {Attempt})")]
    private static partial void Delivered(ILogger logger, string messageId, string emailType, int attempt);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning,
        Message = "Email {MessageId} of type {EmailType} failed on attempt {Attempt} ({Error}); retrying in {DelaySeconds:F0} s")]
    private static partial void WillRetry(ILogger logger, string messageId, string emailType, int attempt, string error, double delaySeconds);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Error,
        Message = "Email {MessageId} of type {EmailType} given up after {Attempt} attempts ({Error}); check Lanyard:Email:Smtp and the SMTP server's log")]
    private static partial void GaveUp(ILogger logger, string messageId, string emailType, int attempt, string error);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Warning, Message = "The email outbox could not be read ({ErrorType}); retrying at the next poll")]
    private static partial void OutboxUnavailable(ILogger logger, string errorType);
}
