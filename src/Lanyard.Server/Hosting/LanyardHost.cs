using System.Diagnostics;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Bootstrap;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Discovery;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Logout;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Features.Invitations;
using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Signup;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;

namespace Lanyard.Server.Hosting;

/// <summary>The composition root: every feature's registration and the middleware order, in one place.</summary>
internal static class LanyardHost
{
    public static WebApplicationBuilder AddLanyard(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(json =>
        {
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.IncludeScopes = false;
        });

        // The slim builder (Program.cs) leaves out reading HTTPS endpoints and certificates from Kestrel:Endpoints,
        // which the operator guide offers for serving HTTPS with one's own certificate.
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel((context, kestrel) => KestrelEndpoints.Configure(context, kestrel));

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => ServerSettings.LoadOrThrow(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>()));
        services.AddSingleton(sp => MasterKeyStore.Load(sp.GetRequiredService<ServerSettings>()));
        services.AddLanyardDatabase();
        services.AddSingleton<DatabaseMigrator>();
        services.AddSingleton<DatabaseGate>();
        // Start-up time: the database work below and Kestrel's start run side by side (DatabasePreparation).
        services.Configure<HostOptions>(host => host.ServicesStartConcurrently = true);
        services.AddHostedService<DatabasePreparation>();

        services.AddScoped<TenantContext>();
        services.AddScoped<ITenantContext>(sp => sp.GetRequiredService<TenantContext>());
        services.AddScoped<HostResolver>();

        services.AddSingleton<ClientSecretHasher>();
        services.AddSingleton<PasswordHasher>();
        services.AddScoped<CreateTenant>();
        services.AddScoped<CreateUser>();
        services.AddSingleton<BootstrapFile>();
        services.AddSingleton<FirstRun>();
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<ServerSettings>().Email.Smtp is null
            ? ActivatorUtilities.CreateInstance<LoggingEmailSender>(sp)
            : ActivatorUtilities.CreateInstance<SmtpEmailSender>(sp));
        services.AddSingleton<ClientCommands>();

        services.AddSingleton<SigningKeyRing>();
        services.AddHostedService<KeyRotationWorker>();
        services.AddHostedService<PredefinedPermissionSync>();
        services.AddHostedService<IdleMemoryRelease>();
        services.AddScoped<DbContextOnDemand>();
        services.AddScoped<TokenIssuer>();
        services.AddScoped<ClientAuthenticator>();
        services.AddScoped<GrantSubject>();
        services.AddScoped<CodeExchange>();
        services.AddScoped<RefreshExchange>();
        services.AddScoped<AuthorizationValidator>();
        services.AddScoped<SessionCookie>();
        services.AddScoped<LoginThrottle>();

        services.AddScoped<PolicyResolver>();
        services.AddScoped<EmailOutbox>();
        services.AddHostedService<OutboxWorker>();
        services.AddScoped<WorkflowCodes>();
        services.AddScoped<WorkflowMail>();
        services.AddScoped<AuthSessionHandoff>();
        services.AddSignupFeature();
        services.AddPasswordResetFeature();
        services.AddInvitationFeature();
        services.AddScoped<MfaGate>();
        services.AddMfaFeature();
        services.AddRoleApiFeature();
        services.AddPolicyApiFeature();
        services.AddTenantApiFeature();
        services.AddUserImportExportFeature();
        services.AddClientApiFeature();
        services.AddApiDocument();

        services.AddSingleton<MatcherPolicy, HostKindPolicy>();
        // MVC's part of this assembly lists every type in it, and its feature providers (controllers, view components,
        // tag helpers) walk that list at start, which loads all ~2,000 types (see MigrationTypes). Lanyard has none of those
        // three; the pages come from the compiled Razor part, which reads the assembly's attributes instead.
        services.AddRazorPages().ConfigureApplicationPartManager(parts =>
        {
            foreach (var part in parts.ApplicationParts.OfType<AssemblyPart>().Where(p => p.Assembly == typeof(LanyardHost).Assembly).ToList())
            {
                parts.ApplicationParts.Remove(part);
            }
        });
        services.AddLanyardDataProtection();
        services.AddAntiforgery(antiforgery =>
        {
            // Host-only, HTTPS-only: one tenant's antiforgery cookie is never sent to another tenant's host.
            antiforgery.Cookie.Name = "__Host-lanyard_af";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.Path = "/";
            antiforgery.FormFieldName = "__lanyard_af";
        });

        services.AddProblemDetails();
        services.LoadKeyRingAfterDatabaseGate();
        return builder;
    }

    public static WebApplication UseLanyard(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseMiddleware<DatabaseGateMiddleware>();
        app.UseMiddleware<ClientFaults>();
        app.UseMiddleware<SecurityHeaders>();

        // Before the status-code pages: an unknown host gets a bare 404 that says nothing about this server.
        app.UseMiddleware<TenancyMiddleware>();
        app.UseStatusCodePages();
        app.UseStaticFiles();
        app.UseRouting();

        app.MapHealth();
        app.MapDiscoveryEndpoints();
        app.MapTokenEndpoint();
        app.MapUserinfoEndpoint();
        app.MapRevokeEndpoint();
        app.MapAuthorizeEndpoint();
        app.MapLogoutEndpoint();
        AuthSessionHandoff.MapCreateAuthSessionEndpoints(app);
        app.MapSignupFeature();
        app.MapPasswordResetFeature();
        app.MapInvitationFeature();
        app.MapMfaFeature();
        app.MapRoleApiFeature();
        app.MapPolicyApiFeature();
        app.MapTenantApiFeature();
        app.MapApplicationApiFeature();
        app.MapUserResourceFeature();
        app.MapUserImportExportFeature();
        app.MapClientApiFeature();
        app.MapTokenClaimsApi();
        app.MapApiDocument();
        app.MapDevMailbox();
        app.MapRazorPages();
        return app;
    }

    /// <summary>
    /// Checks configuration, brings the schema up to date (or refuses to run on a stale one), seeds a new
    /// database, then serves. Returns the process exit code.
    /// </summary>
    public static async Task<int> RunLanyardAsync(this WebApplication app, string[] args)
    {
        ServerSettings settings;
        try
        {
            settings = app.Services.GetRequiredService<ServerSettings>();
            _ = app.Services.GetRequiredService<Common.MasterKey>();
        }
        catch (InvalidSettingsException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return ExitCodes.InvalidConfiguration;
        }

        var migrator = app.Services.GetRequiredService<DatabaseMigrator>();
        var verbAt = VerbIndex(args);
        var verbArgs = verbAt < 0 ? [] : args[verbAt..];
        if (verbArgs is ["migrate", ..])
        {
            await migrator.MigrateAsync(app.Lifetime.ApplicationStopping);
            return ExitCodes.Ok;
        }

        var isCommand = ClientCommands.Handles(verbArgs)
            || Features.Users.Import.UserImportCommand.Handles(verbArgs)
            || Features.Users.Export.UserExportCommand.Handles(verbArgs);
        if (!isCommand)
        {
            _ = DatabasePreparation.WarmUpAsync(app.Services);
            app.UseLanyard();
            try
            {
                await app.StartAsync(app.Lifetime.ApplicationStopping);
            }
            catch (Exception e) when (NotReady(e) is { } notReady)
            {
                await Console.Error.WriteLineAsync(notReady.Message);
                await app.StopAsync(CancellationToken.None);
                return notReady.ExitCode;
            }

            await app.WaitForShutdownAsync();
            return ExitCodes.Ok;
        }

        try
        {
            await DatabasePreparation.PrepareAsync(
                settings, migrator, app.Services.GetRequiredService<FirstRun>(), app.Services.GetRequiredService<BootstrapFile>(), app.Lifetime.ApplicationStopping);
        }
        catch (DatabaseNotReadyException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return e.ExitCode;
        }

        if (ClientCommands.Handles(verbArgs))
        {
            return await app.Services.GetRequiredService<ClientCommands>()
                .RunAsync(verbArgs, Console.Out, Console.Error, app.Lifetime.ApplicationStopping);
        }

        if (Features.Users.Import.UserImportCommand.Handles(verbArgs))
        {
            return await app.Services.GetRequiredService<Features.Users.Import.UserImportCommand>()
                .RunAsync(verbArgs, Features.Users.Import.CliConsole.System, app.Lifetime.ApplicationStopping);
        }

        if (Features.Users.Export.UserExportCommand.Handles(verbArgs))
        {
            return await app.Services.GetRequiredService<Features.Users.Export.UserExportCommand>()
                .RunAsync(verbArgs, Features.Users.Import.CliConsole.System, app.Lifetime.ApplicationStopping);
        }

        throw new UnreachableException("Every verb is handled above.");
    }

    /// <summary>The database preparation's refusal, however the host wrapped it when services start concurrently.</summary>
    private static DatabaseNotReadyException? NotReady(Exception e) => e switch
    {
        DatabaseNotReadyException notReady => notReady,
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.OfType<DatabaseNotReadyException>().FirstOrDefault(),
        _ => null,
    };

    /// <summary>Where the verb starts: the first argument that is neither an option (<c>--key value</c>, <c>--key=value</c>) nor an option's value.</summary>
    private static int VerbIndex(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith('-') && !args[i].StartsWith('/'))
            {
                return i;
            }

            if (!args[i].Contains('=', StringComparison.Ordinal))
            {
                i++; // skip the option's value
            }
        }

        return -1;
    }
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int InvalidConfiguration = 2;
    public const int SchemaOutOfDate = 3;
}
