using Lanyard.Testing;
using Microsoft.Playwright;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// What a page's main frame did: each navigation request, the status that answered it (redirects included) and
/// any that failed or was aborted. Tests assert on the requests; a wait that runs out reports the whole trail, so the
/// failure says how the browser got where it is (a form that was never sent, a redirect back to the login page,
/// an aborted navigation), not only where it is.
/// </summary>
public sealed class NavigationTrail
{
    private readonly IPage _page;
    private readonly List<string> _requests = [];
    private readonly List<string> _events = [];

    private NavigationTrail(IPage page)
    {
        _page = page;
        page.Request += (_, request) =>
        {
            if (request.IsNavigationRequest && request.Frame == page.MainFrame)
            {
                Add(_requests, $"{request.Method} {request.Url}");
                Add(_events, $"{Now} -> {request.Method} {request.Url}");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Request.IsNavigationRequest && response.Frame == page.MainFrame)
            {
                Add(_events, $"{Now} <- {response.Status} {response.Url}");
            }
        };
        page.RequestFailed += (_, request) =>
        {
            if (request.IsNavigationRequest && request.Frame == page.MainFrame)
            {
                Add(_events, $"{Now} !! {request.Failure} {request.Method} {request.Url}");
            }
        };
    }

    private static string Now => DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Starts recording the page's navigations; call before the first one.</summary>
    public static NavigationTrail Follow(IPage page) => new(page);

    /// <summary>The main frame's navigation requests so far, as <c>METHOD URL</c>, oldest first.</summary>
    public IReadOnlyList<string> Requests()
    {
        lock (_requests)
        {
            return [.. _requests];
        }
    }

    /// <summary>
    /// Runs browser steps; when one fails (a wait that runs out, an assertion), rethrows with where the browser is,
    /// what the page says, the navigation trail and the server's last log lines.
    /// </summary>
    public async Task RunAsync(LanyardFactory lanyard, Func<Task> steps, Func<string>? more = null)
    {
        try
        {
            await steps();
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException or Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException(await DescribeAsync(e.Message, lanyard, more), e);
        }
    }

    private async Task<string> DescribeAsync(string failure, LanyardFactory lanyard, Func<string>? more)
    {
        var newLine = Environment.NewLine;
        string events;
        lock (_events)
        {
            events = string.Join(newLine, _events);
        }

        return $"{failure}{newLine}Browser at: {_page.Url}{newLine}Page text: {await PageTextAsync()}{newLine}" +
            $"Navigations:{newLine}{events}{newLine}Lanyard's last log lines:{newLine}{lanyard.Logs.Describe()}" +
            (more is null ? "" : newLine + more());
    }

    private async Task<string> PageTextAsync()
    {
        try
        {
            var text = await _page.Locator("body").InnerTextAsync(new() { Timeout = 2_000 });
            return text.Length <= 600 ? text : text[..600] + "…";
        }
        catch (PlaywrightException e)
        {
            return $"(unreadable: {e.Message.Split('\n')[0]})";
        }
        catch (TimeoutException)
        {
            return "(unreadable: no body within 2 s)";
        }
    }

    private static void Add(List<string> lines, string line)
    {
        lock (lines)
        {
            lines.Add(line);
        }
    }
}
