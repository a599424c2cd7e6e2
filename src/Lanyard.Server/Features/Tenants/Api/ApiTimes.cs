namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>
/// Times in management API objects, in UTC and cut to whole milliseconds. The databases keep less than .NET's
/// tick precision (PostgreSQL microseconds, the SQLite encoding less), so an object answered right after a
/// write must show what a later read will: otherwise a client that sends back what it got would be told it
/// changed a read-only <c>metadata</c> time.
/// </summary>
internal static class ApiTimes
{
    public static DateTimeOffset Of(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    public static DateTimeOffset? Of(DateTimeOffset? time) => time is { } value ? Of(value) : null;
}
