using System.Reflection;
using Lanyard.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Lanyard.Server.Tests.Hosting;

/// <summary>
/// An operator filters and alerts on event ids ("error 1104 means the permission sync failed"): one id must mean one
/// event. Two classes once both used 1101 and 1102 (a first-run line and a client fault).
/// </summary>
public sealed class LogEventTests
{
    [Fact]
    public void Every_log_event_of_the_server_has_an_id_of_its_own()
    {
        var events = typeof(LanyardHost).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Attribute is not null)
            .Select(e => (Id: e.Attribute!.EventId, Name: $"{e.Method.DeclaringType!.Name}.{e.Method.Name}"))
            .ToList();

        Assert.True(events.Count > 50, $"only {events.Count} log events found: has the reflection stopped finding them?");
        Assert.DoesNotContain(events, e => e.Id <= 0);
        var reused = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Name))}").ToList();
        Assert.True(reused.Count == 0, "Event ids used twice: " + string.Join("; ", reused));
    }
}
