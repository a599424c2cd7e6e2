using System.Collections.Concurrent;
using Lanyard.Server.Features.Email;

namespace Lanyard.Testing;

/// <summary>
/// Keeps every email the outbox worker delivers, for tests to read links and codes from. Delivery is
/// asynchronous (outbox → worker), so tests wait for a message rather than expect it at once.
/// </summary>
internal sealed class CapturingEmailSender : IEmailSender
{
    private readonly ConcurrentQueue<EmailMessage> _sent = new();

    public IReadOnlyList<EmailMessage> Sent => [.. _sent];

    private int _failuresToInject;

    /// <summary>The next <paramref name="count"/> deliveries fail as an unreachable SMTP server would.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresToInject, count);

    public Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failuresToInject) >= 0)
        {
            throw new IOException("Connection refused by smtp.test <someone@example.com>");
        }

        Interlocked.Exchange(ref _failuresToInject, 0);
        _sent.Enqueue(message);
        return Task.CompletedTask;
    }

    public IReadOnlyList<EmailMessage> To(string address) =>
        [.. _sent.Where(m => string.Equals(m.To, address, StringComparison.OrdinalIgnoreCase))];

    /// <summary>Waits for the <paramref name="count"/>-th email to <paramref name="address"/> (of <paramref name="type"/>, if given) and returns it.</summary>
    public async Task<EmailMessage> WaitForAsync(string address, string? type = null, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var matching = To(address).Where(m => type is null || m.Type == type).ToList();
            if (matching.Count >= count)
            {
                return matching[count - 1];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"Expected email #{count} to {address}{(type is null ? "" : $" of type {type}")}; got: " +
                    string.Join(", ", _sent.Select(m => $"{m.Type} to {m.To}")));
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Asserts that nothing more reaches <paramref name="address"/> for a short while (e.g. an unknown email must get no mail).</summary>
    public async Task<int> CountAfterQuietAsync(string address, TimeSpan? quiet = null)
    {
        await Task.Delay(quiet ?? TimeSpan.FromMilliseconds(500));
        return To(address).Count;
    }

    /// <summary>The first link in the text body that starts with <paramref name="prefix"/>.</summary>
    public static string Link(EmailMessage message, string prefix)
    {
        var start = message.TextBody.IndexOf(prefix, StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"No link starting with {prefix} in: {message.TextBody}");
        }

        var end = message.TextBody.IndexOfAny([' ', '\n', '\r'], start);
        return message.TextBody[start..(end < 0 ? message.TextBody.Length : end)];
    }
}
