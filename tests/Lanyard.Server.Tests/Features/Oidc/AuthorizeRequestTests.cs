using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>
/// Validation of authorization requests (checklist items 1, 3, 4, 18–20, 33, 39). When the client or redirect
/// URI cannot be trusted the answer is an error page with no Location; otherwise the error goes back to the
/// client with its state and tenant parameters.
/// </summary>
public abstract class AuthorizeRequestTests(LanyardFactory factory)
{
    private const string Registered = "https://app.example/cb";
    private readonly OAuthFlow _flow = new(factory);

    private async Task<(TestClient Client, HttpClient Browser, string Challenge)> SetUpAsync()
    {
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, Registered);
        return (client, _flow.Browser(factory.Bootstrap.DemoTenantName), OAuthFlow.NewPkce().Challenge);
    }

    private static async Task AssertErrorPageAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sign-in could not continue", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public static TheoryData<string> RedirectMutations =>
    [
        "https://app.example/cb/", "HTTPS://app.example/cb", "https://APP.example/cb", "https://app.example/CB", "https://app.example:443/cb",
        "https://app.example/cb?x=1", "https://app.example/cb#f", "https://app.example/cb/../cb", "https://app.example/%2e%2e/cb",
        "https://app.example/%252E%252E/cb", "https://app.example/cb..;/", "https://app.example.evil.com/cb", "https://app.example@evil.com/cb",
        "https://evil.com\\@app.example/cb", "https://a@b@app.example/cb", "http://app.example/cb", "https://аpp.example/cb",
        "https://xn--pp-8kc.example/cb", "https://app.example/c\tb", "https://app.example/cb\r\nLocation: https://evil.com", " https://app.example/cb",
        "https://app.example/cb%20", "javascript:alert(1)//https://app.example/cb", "",
    ];

    [Theory]
    [MemberData(nameof(RedirectMutations))]
    public async Task Any_redirect_uri_but_the_exact_registered_one_gets_an_error_page(string redirectUri)
    {
        var (client, browser, challenge) = await SetUpAsync();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        parameters["redirect_uri"] = redirectUri;

        await AssertErrorPageAsync(await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters)));
    }

    [Fact]
    public async Task Unknown_client_gets_an_error_page_even_with_a_valid_looking_redirect()
    {
        var (client, browser, challenge) = await SetUpAsync();
        var parameters = OAuthFlow.AuthorizeParameters(client with { Id = "nosuchclientnosuchclient22" }, challenge);

        await AssertErrorPageAsync(await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters)));
    }

    [Fact]
    public async Task Machine_to_machine_client_cannot_start_a_browser_flow()
    {
        await factory.StartAsync();
        var m2m = new TestClient(factory.Bootstrap.AdminClientId, null, Registered);
        var browser = _flow.Browser(factory.Bootstrap.DemoTenantName);

        await AssertErrorPageAsync(await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(m2m, OAuthFlow.NewPkce().Challenge))));
    }

    [Fact]
    public async Task Redirect_uri_is_required_when_a_client_has_several()
    {
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, Registered, null, null, "https://app.example/other");
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters["redirect_uri"] = null;

        await AssertErrorPageAsync(await _flow.Browser(factory.Bootstrap.DemoTenantName).GetAsync(OAuthFlow.AuthorizeUrl(parameters)));
    }

    [Theory]
    [InlineData("response_type", "token", "unsupported_response_type")]
    [InlineData("response_type", "id_token token", "unsupported_response_type")]
    [InlineData("response_type", "code id_token", "unsupported_response_type")]
    [InlineData("response_type", null, "invalid_request")]
    [InlineData("code_challenge", null, "invalid_request")]
    [InlineData("code_challenge_method", null, "invalid_request")]
    [InlineData("code_challenge_method", "plain", "invalid_request")]
    [InlineData("code_challenge", "too-short", "invalid_request")]
    [InlineData("response_mode", "fragment", "invalid_request")]
    [InlineData("request", "eyJhbGciOiJub25lIn0.e30.", "request_not_supported")]
    [InlineData("request_uri", "https://evil.example/req", "request_uri_not_supported")]
    [InlineData("prompt", "none login", "invalid_request")]
    [InlineData("max_age", "-1", "invalid_request")]
    public async Task Invalid_parameters_are_returned_to_the_client_as_errors(string name, string? value, string error)
    {
        var (client, browser, challenge) = await SetUpAsync();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        parameters[name] = value;

        var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal(Registered, location.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(location);
        Assert.Equal(error, query["error"]);
        Assert.Equal(parameters["state"], query["state"]);
        Assert.Equal("demo", query["tenant_domain"]);
        Assert.Equal("demo", query["tenant_name"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task Form_post_response_mode_delivers_the_code_in_a_self_submitting_form_to_the_registered_uri()
    {
        var (client, browser, _) = await SetUpAsync();
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        parameters["response_mode"] = "form_post";
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        var login = await _flow.SubmitLoginAsync(browser, start.Headers.Location!.OriginalString, factory.Bootstrap.DemoUserEmail, factory.Bootstrap.DemoUserPassword);

        var response = await browser.GetAsync(login.Headers.Location);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"<form method=\"post\" action=\"{Registered}\">", html, StringComparison.Ordinal);
        Assert.Contains($"name=\"state\" value=\"{parameters["state"]}\"", html, StringComparison.Ordinal);
        var code = System.Text.RegularExpressions.Regex.Match(html, "name=\"code\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.Equal(HttpStatusCode.OK, (await _flow.RedeemAsync(client, code, verifier)).StatusCode);
        Assert.Contains("<script src=\"/js/form-post.js\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_parameter_is_refused()
    {
        var (client, browser, challenge) = await SetUpAsync();
        var url = OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, challenge)) + "&scope=openid";

        var response = await browser.GetAsync(url);

        Assert.Equal("invalid_request", OAuthFlow.Query(response.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task Unknown_parameters_are_ignored_and_post_works()
    {
        var (client, browser, challenge) = await SetUpAsync();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        parameters["extra"] = "foobar";
        parameters["display"] = "popup";
        parameters["ui_locales"] = "fr";

        var get = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        var post = await browser.PostAsync("/api/v1/oauth2/authorize",
            new FormUrlEncodedContent(parameters.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!)));

        Assert.StartsWith("/login?return_url=", get.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.StartsWith("/login?return_url=", post.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_on_the_application_host_asks_for_the_tenant_and_on_an_unknown_tenant_host_is_404()
    {
        var (client, _, challenge) = await SetUpAsync();
        var url = OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, challenge));

        var onApplication = await factory.ClientFor(LanyardFactory.ApplicationHost).GetAsync(url);
        Assert.StartsWith("/login?client_id=", onApplication.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await factory.ClientFor(LanyardFactory.TenantHost("nosuch")).GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task Templated_redirect_uri_is_matched_literally_and_substituted_with_the_tenant()
    {
        const string template = "https://{tenant_domain}.app.localhost:6001/auth/callback";
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, template);
        var tenant = await factory.CreateTenantAsync();
        await factory.CreateUserAsync(tenant, "templated@example.com");

        var (tokens, callback) = await _flow.LoginAsync(client, tenant.Name, "templated@example.com");

        Assert.Equal($"https://{tenant.NormalizedName}.app.localhost:6001/auth/callback", callback.GetLeftPart(UriPartial.Path));
        Assert.NotNull(tokens.RefreshToken);

        // A substituted URI is not the registered template: it is refused like any other unregistered URI.
        var parameters = OAuthFlow.AuthorizeParameters(client with { RedirectUri = $"https://{tenant.NormalizedName}.app.localhost:6001/auth/callback" }, OAuthFlow.NewPkce().Challenge);
        await AssertErrorPageAsync(await _flow.Browser(tenant.Name).GetAsync(OAuthFlow.AuthorizeUrl(parameters)));
    }

    [Fact]
    public async Task Authorize_answers_no_cors_preflight()
    {
        var (client, browser, challenge) = await SetUpAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, challenge)));
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "GET");

        var response = await browser.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}

public sealed class AuthorizeRequestOnSqlite(SqliteLanyard factory) : AuthorizeRequestTests(factory), IClassFixture<SqliteLanyard>;

public sealed class AuthorizeRequestOnPostgres(PostgresLanyard factory) : AuthorizeRequestTests(factory), IClassFixture<PostgresLanyard>;
