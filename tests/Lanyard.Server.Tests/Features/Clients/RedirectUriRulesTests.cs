using Lanyard.Server.Features.Clients;

namespace Lanyard.Server.Tests.Features.Clients;

/// <summary>Registration-time URI rules (checklist item 2).</summary>
public sealed class RedirectUriRulesTests
{
    [Theory]
    [InlineData("https://app.example/cb")]
    [InlineData("https://app.example:8443/auth/callback?x=1")]
    [InlineData("https://{tenant_domain}.app.example/cb")]
    [InlineData("https://{tenant_name}.app.example/cb")]
    [InlineData("http://localhost:3000/cb")]
    [InlineData("http://127.0.0.1:3000/cb")]
    [InlineData("http://demo.app.localhost:3000/cb")]
    public void Acceptable_uris_pass(string uri) => Assert.Null(RedirectUriRules.Problem(uri));

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("JaVaScRiPt:alert(1)")]
    [InlineData("data:text/html,hi")]
    [InlineData("file:///etc/passwd")]
    [InlineData("vbscript:msgbox")]
    [InlineData("http://app.example/cb")]
    [InlineData("https://user@app.example/cb")]
    [InlineData("https://app.example/cb#fragment")]
    [InlineData("https://app.{tenant_domain}.example/cb")]
    [InlineData("https://{tenant_domain}.{tenant_name}.example/cb")]
    [InlineData("https://app.example/{tenant_domain}/cb")]
    [InlineData("https://{other}.app.example/cb")]
    [InlineData("/relative/cb")]
    [InlineData(" https://app.example/cb")]
    [InlineData("https://app.example/c\nb")]
    [InlineData("")]
    public void Dangerous_or_malformed_uris_are_refused(string uri) => Assert.NotNull(RedirectUriRules.Problem(uri));
}
