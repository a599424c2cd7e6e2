using Microsoft.Playwright;

namespace Lanyard.EndToEnd.Tests;

/// <summary>Clicks that lead to another page (a form's submit button, a link).</summary>
public static class Clicks
{
    private static readonly TimeSpan NavigationStart = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Clicks and waits until the browser has asked for the next page. A click can be lost: on CI the login form of
    /// a page just reached from another site (a new renderer process) was never sent, the trail showing no request
    /// at all after the click, and the test waited 30 s for a page nobody had asked for. Chromium drops input that reaches
    /// a page before its first frame is shown. When no navigation starts within 10 s the click did nothing, so it is
    /// made once more; nothing is ever sent twice.
    /// </summary>
    public static async Task NavigateByClickAsync(this ILocator target)
    {
        var page = target.Page;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await page.RunAndWaitForRequestAsync(
                    () => target.ClickAsync(),
                    request => request.IsNavigationRequest && request.Frame == page.MainFrame,
                    new() { Timeout = (float)NavigationStart.TotalMilliseconds });
                return;
            }
            catch (TimeoutException) when (attempt == 1)
            {
                Xunit.TestContext.Current.SendDiagnosticMessage($"A click on {target} started no navigation within {NavigationStart.TotalSeconds} s; clicking again.");
            }
        }
    }
}
