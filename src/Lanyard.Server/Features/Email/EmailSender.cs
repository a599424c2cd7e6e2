namespace Lanyard.Server.Features.Email;

/// <summary>One rendered email, ready for delivery.</summary>
/// <param name="FromName">Display name of the sender (the application's or tenant's); the address is always the configured one.</param>
/// <param name="MessageId">Stable per outbox row, so a retried delivery is recognisable as the same message.</param>
internal sealed record EmailMessage(string To, string Subject, string TextBody, string? HtmlBody = null, string? Type = null, string? FromName = null, string? MessageId = null);

/// <summary>
/// Delivers one email. Workflows never call it directly: they write to the outbox in the same transaction
/// as their state change, and the outbox worker calls the sender. The SMTP implementation arrives with the
/// workflows; until then development logs the message type and recipient domain (never the body, which
/// may hold an action link that is as good as a password).
/// </summary>
internal interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

internal sealed partial class LoggingEmailSender(ILogger<LoggingEmailSender> logger) : IEmailSender
{
    public Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var at = message.To.LastIndexOf('@');
        EmailSuppressed(logger, message.Type ?? "unspecified", at >= 0 ? message.To[(at + 1)..] : "?");
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Email of type {EmailType} to a recipient at {RecipientDomain} not sent: no SMTP server is configured")]
    private static partial void EmailSuppressed(ILogger logger, string emailType, string recipientDomain);
}
