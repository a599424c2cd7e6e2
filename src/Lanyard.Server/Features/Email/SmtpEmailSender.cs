using Lanyard.Server.Hosting;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Lanyard.Server.Features.Email;

/// <summary>
/// Delivers one email to the configured SMTP server with MailKit: one connection per email (the outbox
/// sends few, and a fresh connection never inherits a broken one's state). Every failure throws; the
/// outbox worker retries with back-off. Logs carry the email type and the recipient's domain only:
/// subjects and bodies may hold action links, and addresses are personal data.
/// </summary>
internal sealed partial class SmtpEmailSender(ServerSettings settings, ILogger<SmtpEmailSender> logger) : IEmailSender
{
    public const string TypeHeader = "X-Lanyard-Email-Type";

    private readonly SmtpSettings _smtp = settings.Email.Smtp
        ?? throw new InvalidOperationException("SmtpEmailSender needs Lanyard:Email:Smtp:Host; without it the logging sender is registered.");

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = message.Type ?? "unspecified";
        var domain = RecipientDomain(message.To);
        using var mime = Build(message, settings.Email.FromAddress);

        using var client = new SmtpClient { Timeout = (int)_smtp.Timeout.TotalMilliseconds };
        try
        {
            // MailKit applies Timeout to each read and write; the connection itself (DNS, TCP, TLS) is bounded here too.
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(_smtp.Timeout);
                try
                {
                    await client.ConnectAsync(_smtp.Host, _smtp.Port, MapSecurity(_smtp.Security), connectTimeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"Connecting to the SMTP server {_smtp.Host}:{_smtp.Port} took longer than {_smtp.Timeout.TotalSeconds:0} s.");
                }
            }

            if (_smtp.Username is not null)
            {
                await client.AuthenticateAsync(_smtp.Username, _smtp.Password ?? "", cancellationToken);
            }

            await client.SendAsync(mime, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failureKind = exception.GetType().Name;
            var smtpStatus = exception is SmtpCommandException command ? (int)command.StatusCode : 0;
            DeliveryFailed(logger, type, domain, failureKind, smtpStatus);
            throw;
        }

        Delivered(logger, type, domain);
    }

    /// <summary>The MIME message for one email: plain text, or text and HTML as multipart/alternative.</summary>
    internal static MimeMessage Build(EmailMessage message, string fromAddress)
    {
        var at = fromAddress.LastIndexOf('@');
        var fromDomain = at >= 0 ? fromAddress[(at + 1)..] : "localhost";
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(message.FromName ?? "", fromAddress));
        mime.To.Add(new MailboxAddress("", message.To));
        mime.Subject = message.Subject;
        mime.MessageId = message.MessageId is null ? MimeKit.Utils.MimeUtils.GenerateMessageId(fromDomain) : $"{message.MessageId}@{fromDomain}";
        if (message.Type is not null)
        {
            mime.Headers.Add(TypeHeader, message.Type);
        }

        var body = new BodyBuilder { TextBody = message.TextBody };
        if (message.HtmlBody is not null)
        {
            body.HtmlBody = message.HtmlBody;
        }

        mime.Body = body.ToMessageBody();
        return mime;
    }

    private static SecureSocketOptions MapSecurity(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };

    private static string RecipientDomain(string address)
    {
        var at = address.LastIndexOf('@');
        return at >= 0 ? address[(at + 1)..] : "?";
    }

    // Debug: the outbox worker logs each delivery and failure (3020-3022); these add the SMTP side.
    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug,
        Message = "Email of type {EmailType} to a recipient at {RecipientDomain} handed to the SMTP server")]
    private static partial void Delivered(ILogger logger, string emailType, string recipientDomain);

    // The exception itself is not logged: SMTP replies often quote the recipient's full address.
    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug,
        Message = "Email of type {EmailType} to a recipient at {RecipientDomain} not delivered: {FailureKind} (SMTP status {SmtpStatus})")]
    private static partial void DeliveryFailed(ILogger logger, string emailType, string recipientDomain, string failureKind, int smtpStatus);
}
