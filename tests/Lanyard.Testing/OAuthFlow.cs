using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Lanyard.Testing;

/// <summary>A registered client as a test holds it: id, secret (null for public clients) and redirect URI.</summary>
public sealed record TestClient(string Id, string? Secret, string RedirectUri);

/// <summary>The JSON of a successful token response.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string? RefreshToken, string? IdToken, string Scope);

/// <summary>
/// Drives the protocol the way a browser and an application backend do: authorize on the tenant host
/// (with a cookie jar), the hosted login form (antiforgery token included), the callback, then the token
/// endpoint on the application host with HTTP Basic.
/// </summary>
public sealed partial class OAuthFlow(LanyardFactory factory)
{
    public const string TestPassword = "correct horse battery";

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return (verifier, challenge);
    }

    public HttpClient Browser(string tenantName) => factory.ClientFor(LanyardFactory.TenantHost(tenantName));

    public HttpClient Backend() => factory.ClientFor(LanyardFactory.ApplicationHost);

    /// <summary>The standard parameters of an authorization request; override or remove (null) any of them.</summary>
    public static Dictionary<string, string?> AuthorizeParameters(TestClient client, string challenge, string scope = "openid offline_access email") => new()
    {
        ["client_id"] = client.Id,
        ["redirect_uri"] = client.RedirectUri,
        ["response_type"] = "code",
        ["scope"] = scope,
        ["state"] = "state-" + Guid.NewGuid().ToString("N"),
        ["nonce"] = "nonce-" + Guid.NewGuid().ToString("N"),
        ["code_challenge"] = challenge,
        ["code_challenge_method"] = "S256",
    };

    public static string AuthorizeUrl(IDictionary<string, string?> parameters) =>
        QueryHelpers.AddQueryString("/api/v1/oauth2/authorize", parameters.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));

    /// <summary>Submits the hosted login form found at <paramref name="loginUrl"/>.</summary>
    public async Task<HttpResponseMessage> SubmitLoginAsync(HttpClient browser, string loginUrl, string identifier, string password)
    {
        var page = await browser.GetAsync(loginUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var form = new Dictionary<string, string>
        {
            ["Input.Identifier"] = identifier,
            ["Input.Password"] = password,
            ["Input.ReturnUrl"] = HiddenValue(html, "Input.ReturnUrl") ?? "",
            ["__lanyard_af"] = HiddenValue(html, "__lanyard_af") ?? throw new InvalidOperationException("no antiforgery token on the login page"),
        };
        return await browser.PostAsync(loginUrl, new FormUrlEncodedContent(form));
    }

    /// <summary>Authorize → (login if asked) → the callback URL the browser is finally sent to.</summary>
    public async Task<Uri> AuthorizeAsync(HttpClient browser, IDictionary<string, string?> parameters, string? identifier = null, string password = TestPassword)
    {
        var response = await browser.GetAsync(AuthorizeUrl(parameters));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        if (!location.IsAbsoluteUri && location.OriginalString.StartsWith("/login", StringComparison.Ordinal))
        {
            Assert.NotNull(identifier);
            var login = await SubmitLoginAsync(browser, location.OriginalString, identifier, password);
            Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
            response = await browser.GetAsync(login.Headers.Location);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            location = response.Headers.Location!;
        }

        return location;
    }

    public static Dictionary<string, string> Query(Uri uri) =>
        QueryHelpers.ParseQuery(uri.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    public async Task<HttpResponseMessage> TokenRequestAsync(TestClient client, IDictionary<string, string> form, bool basic = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/token");
        var body = new Dictionary<string, string>(form);
        if (basic && client.Secret is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.Id}:{client.Secret}")));
        }
        else
        {
            body["client_id"] = client.Id;
            if (client.Secret is not null)
            {
                body["client_secret"] = client.Secret;
            }
        }

        request.Content = new FormUrlEncodedContent(body);
        return await Backend().SendAsync(request);
    }

    public Task<HttpResponseMessage> RedeemAsync(TestClient client, string code, string verifier, string? redirectUri = null) =>
        TokenRequestAsync(client, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri ?? client.RedirectUri,
            ["code_verifier"] = verifier,
        });

    public Task<HttpResponseMessage> RefreshAsync(TestClient client, string refreshToken) =>
        TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken });

    public static async Task<TokenResponse> ReadTokensAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<TokenResponse>(body, SnakeCase)!;
    }

    public static async Task<string?> ReadErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString();
    }

    /// <summary>A full login for a user of the built-in provider: returns the token response and the callback URL.</summary>
    public async Task<(TokenResponse Tokens, Uri Callback)> LoginAsync(TestClient client, string tenantName, string identifier, string scope = "openid offline_access email", HttpClient? browser = null)
    {
        var (verifier, challenge) = NewPkce();
        browser ??= Browser(tenantName);
        var callback = await AuthorizeAsync(browser, AuthorizeParameters(client, challenge, scope), identifier);
        var code = Query(callback)["code"];
        return (await ReadTokensAsync(await RedeemAsync(client, code, verifier)), callback);
    }

    public async Task<HttpResponseMessage> UserinfoAsync(string accessToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/oauth2/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await Backend().SendAsync(request);
    }

    /// <summary>Registers a client directly in the data layer (the management API comes later).</summary>
    internal async Task<TestClient> CreateClientAsync(
        OAuthClientType type, string redirectUri, string? loginUrl = null, bool? rotation = null, params string[] moreRedirectUris)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var confidential = type is OAuthClientType.BackendServer or OAuthClientType.MachineToMachine;
        var secret = confidential ? ClientSecretHasher.GenerateSecret() : null;
        var client = new OAuthClient
        {
            Id = LanyardId.New(factory.Time),
            Name = "test " + type,
            Type = type,
            RedirectUris = [redirectUri, .. moreRedirectUris],
            LoginUrl = loginUrl,
            GrantTypes = type == OAuthClientType.MachineToMachine
                ? [GrantTypes.ClientCredentials]
                : [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken],
            SecretHash = secret is null ? null : scope.ServiceProvider.GetRequiredService<ClientSecretHasher>().Hash(secret),
            RefreshTokenRotation = rotation,
        };
        db.Clients.Add(client);
        await db.SaveChangesAsync();
        return new TestClient(client.Id, secret, redirectUri);
    }

    public TestClient DemoClient => new(factory.Bootstrap.DemoClientId, factory.Bootstrap.DemoClientSecret, factory.Bootstrap.DemoClientRedirectUri);

    /// <summary>The value of the form field <paramref name="name"/> (a hidden input) in a page, HTML-decoded; null when absent.</summary>
    public static string? HiddenValue(string html, string name)
    {
        var match = Regex.Match(html, $"<input[^>]*name=\"{Regex.Escape(name)}\"[^>]*value=\"([^\"]*)\"", RegexOptions.CultureInvariant);
        if (!match.Success)
        {
            match = Regex.Match(html, $"<input[^>]*value=\"([^\"]*)\"[^>]*name=\"{Regex.Escape(name)}\"", RegexOptions.CultureInvariant);
        }

        return match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

