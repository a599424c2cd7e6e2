using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

// An ASP.NET Core application that signs its users in with Lanyard through the standard OpenID Connect
// handler: discovery, authorization code with PKCE, userinfo, and RP-initiated sign-out. Nothing in it is
// specific to Lanyard except the settings below.
var builder = WebApplication.CreateBuilder(args);
var lanyard = builder.Configuration.GetSection("Lanyard");

builder.Services
    .AddAuthentication(options =>
    {
        options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
    })
    .AddCookie()
    .AddOpenIdConnect(options =>
    {
        options.Authority = lanyard["Authority"] ?? throw new InvalidOperationException("Set Lanyard:Authority, e.g. https://auth.localhost:5443");
        options.ClientId = lanyard["ClientId"] ?? throw new InvalidOperationException("Set Lanyard:ClientId");
        options.ClientSecret = lanyard["ClientSecret"] ?? throw new InvalidOperationException("Set Lanyard:ClientSecret");
        options.ResponseType = "code";
        options.UsePkce = true;
        options.SaveTokens = true;
        options.GetClaimsFromUserInfoEndpoint = true;
        options.MapInboundClaims = false;
        options.TokenValidationParameters.NameClaimType = "email";
        options.Scope.Clear();
        options.Scope.Add("openid");
        options.Scope.Add("email");
        options.Scope.Add("profile");
        options.Scope.Add("offline_access");

        // Development only: Lanyard's local CA, and *.localhost names sent to this machine (browsers do
        // that by themselves; .NET does not).
        if (lanyard["DevelopmentCaCertificate"] is { Length: > 0 } caPath)
        {
            options.BackchannelHttpHandler = LocalDevelopmentHandler(caPath);
        }
    });
builder.Services.AddAuthorization();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/", (ClaimsPrincipal user) =>
{
    var html = HtmlEncoder.Default;
    var body = user.Identity?.IsAuthenticated == true
        ? $"<p data-testid=\"user\">Signed in as {html.Encode(user.Identity.Name ?? "?")} in tenant {html.Encode(user.FindFirstValue("tnt_id") ?? "?")}</p><p><a href=\"/logout\">Sign out</a></p>"
        : "<p data-testid=\"anonymous\">Not signed in.</p><p><a href=\"/login\">Sign in</a></p>";
    return Results.Content($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lanyard ASP.NET Core sample</title></head><body>{body}</body></html>", "text/html");
});
app.MapGet("/login", () => Results.Challenge(new AuthenticationProperties { RedirectUri = "/" }, [OpenIdConnectDefaults.AuthenticationScheme]));
app.MapGet("/logout", () => Results.SignOut(new AuthenticationProperties { RedirectUri = "/" },
    [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
app.Run();

static SocketsHttpHandler LocalDevelopmentHandler(string caPath)
{
    var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
    policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(caPath));
    return new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            if (host == "localhost" || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            {
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            }

            return new NetworkStream(socket, ownsSocket: true);
        },
    };
}
