using System.Security.Cryptography;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Bootstrap;

/// <summary>
/// Seeds an empty database so the server is usable at once: the application, its built-in identity
/// provider, the management permissions, an Application Admin Client and, where demo data is on, a
/// demo tenant, user and backend client for the quickstart. Runs only when no application exists; later versions'
/// new management permissions reach existing databases through <see cref="PredefinedPermissionSync"/>.
/// </summary>
internal sealed class FirstRun(
    IServiceScopeFactory scopes,
    ServerSettings settings,
    TimeProvider time,
    BootstrapFile bootstrapFile,
    ILogger<FirstRun> logger)
{
    public const string DemoTenantName = "demo";
    public const string DemoClientRedirectUri = "https://localhost:6001/auth/callback";
    public const string DemoClientLoginUrl = "https://localhost:6001/auth/login";

    public async Task<BootstrapValues?> RunAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
        if (await db.Applications.AnyAsync(cancellationToken))
        {
            return null;
        }

        var adminSecret = settings.AdminClientSecret;
        if (adminSecret is null)
        {
            if (!settings.IsDevelopment)
            {
                // Outside development a secret that nobody chose and nobody saw must not exist.
                throw new InvalidSettingsException(["Lanyard:Bootstrap:AdminClientSecret is required on first run outside development: at least 32 random characters."]);
            }

            adminSecret = ClientSecretHasher.GenerateSecret();
        }

        var tenantContext = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var hasher = scope.ServiceProvider.GetRequiredService<ClientSecretHasher>();

        var application = new Application
        {
            Id = LanyardId.New(time),
            Name = settings.ApplicationName,
            DisplayName = settings.ApplicationDisplayName,
            VanityDomain = settings.VanityDomain,
            VanityHost = settings.VanityHost,
            TenantHostStyle = settings.TenantHostStyle,
            EnvironmentType = settings.IsDevelopment ? EnvironmentType.Development : EnvironmentType.Production,
        };
        db.Applications.Add(application);
        tenantContext.Enter(application.Id);

        db.IdentityProviders.Add(new IdentityProvider
        {
            Id = LanyardId.New(time),
            Name = IdentityProvider.BuiltInName,
            DisplayName = "Lanyard",
        });

        var boundaries = Enum.GetValues<PredefinedBoundary>().ToDictionary(value => value, value => new PermissionBoundary
        {
            Id = LanyardId.New(time),
            Name = PermissionBoundary.PredefinedName(value),
            DisplayName = $"{value} boundary",
            Type = PermissionBoundaryType.Predefined,
            Value = value,
        });
        db.PermissionBoundaries.AddRange(boundaries.Values);

        var adminRole = new Role
        {
            Id = LanyardId.New(time),
            Name = PredefinedPermissionSync.AdminRoleName(application.Name),
            DisplayName = "Application Admin Client",
            Description = "Every management permission of the application.",
            Type = RbacType.Predefined,
            PermissionBoundaryId = boundaries[PredefinedBoundary.Application].Id,
        };
        db.Roles.Add(adminRole);
        foreach (var value in ManagementPermissions.All)
        {
            var permission = new Permission { Id = LanyardId.New(time), Value = value, Type = RbacType.Predefined };
            db.Permissions.Add(permission);
            db.RolePermissions.Add(new RolePermission { RoleId = adminRole.Id, PermissionId = permission.Id });
        }

        var adminClient = new OAuthClient
        {
            Id = LanyardId.New(time),
            Name = "Application Admin Client",
            Type = OAuthClientType.MachineToMachine,
            GrantTypes = [GrantTypes.ClientCredentials],
            SecretHash = hasher.Hash(adminSecret),
        };
        db.Clients.Add(adminClient);
        db.ClientRoles.Add(new ClientRole { ClientId = adminClient.Id, RoleId = adminRole.Id });

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);

        BootstrapValues? values = null;
        if (settings.CreateDemoData)
        {
            values = await SeedDemoAsync(scope.ServiceProvider, application, adminClient.Id, adminSecret, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        Log.ApplicationBootstrapped(logger, application.Id, application.VanityDomain);

        if (values is not null)
        {
            await bootstrapFile.WriteAsync(values, cancellationToken);
            Log.BootstrapFileWritten(logger, bootstrapFile.Path, values.HttpsUrl, values.DemoTenantName);
        }

        return values;
    }

    private async Task<BootstrapValues> SeedDemoAsync(
        IServiceProvider services, Application application, string adminClientId, string adminSecret, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<LanyardDbContext>();
        var hasher = services.GetRequiredService<ClientSecretHasher>();

        var demoSecret = ClientSecretHasher.GenerateSecret();
        var demoClient = new OAuthClient
        {
            Id = LanyardId.New(time),
            Name = "Quickstart demo app",
            Type = OAuthClientType.BackendServer,
            GrantTypes = [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken],
            RedirectUris = [DemoClientRedirectUri],
            LoginUrl = DemoClientLoginUrl,
            SecretHash = hasher.Hash(demoSecret),
        };
        db.Clients.Add(demoClient);
        await db.SaveChangesAsync(cancellationToken);

        var created = await services.GetRequiredService<CreateTenant>()
            .ExecuteAsync(new CreateTenantRequest(DemoTenantName, "Demo Tenant"), cancellationToken);
        if (created is not CreateTenantResult.Created { Tenant: var tenant })
        {
            throw new InvalidOperationException($"The demo tenant could not be created: {((CreateTenantResult.Invalid)created).Violations}");
        }

        // Users live in a tenant scope: narrow this application scope to the new tenant.
        services.GetRequiredService<TenantContext>().Enter(application.Id, tenant.Id);

        var password = GeneratePassword();
        var demoEmail = $"demo@{DemoTenantName}.example.com";
        var user = await services.GetRequiredService<CreateUser>().ExecuteAsync(
            new CreateUserRequest(demoEmail, password, GivenName: "Demo", FamilyName: "User", FullName: "Demo User",
                EmailVerified: true, Status: UserStatus.Active),
            cancellationToken);
        if (user is not CreateUserResult.Created)
        {
            throw new InvalidOperationException($"The demo user could not be created: {((CreateUserResult.Invalid)user).Violations}");
        }

        var httpsPort = settings.HttpsPort;
        var vanityHost = settings.VanityHost;
        return new BootstrapValues(
            ApplicationId: application.Id,
            ApplicationVanityDomain: application.VanityDomain,
            TenantHostStyle: application.TenantHostStyle.Separator(),
            AdminClientId: adminClientId,
            AdminClientSecret: adminSecret,
            DemoTenantName: tenant.Name,
            DemoUserEmail: demoEmail,
            DemoUserPassword: password,
            DemoClientId: demoClient.Id,
            DemoClientSecret: demoSecret,
            DemoClientRedirectUri: DemoClientRedirectUri,
            DemoClientLoginUrl: DemoClientLoginUrl,
            HttpsUrl: $"https://{vanityHost}:{httpsPort}",
            HttpUrl: $"http://{vanityHost}:{settings.HttpPort}",
            DevCaCertificatePath: settings.UseDevelopmentCertificate ? DevCertificates.CaCertificatePath(settings) : null);
    }

    /// <summary>20 characters from an unambiguous alphabet, with every character class present.</summary>
    private static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnpqrstuvwxyz";
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        const string digits = "23456789";
        const string symbols = "-_.!";
        var all = lower + upper + digits + symbols;
        var chars = new char[20];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++)
        {
            chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "First run: created application {ApplicationId} on {VanityDomain}")]
    public static partial void ApplicationBootstrapped(ILogger logger, string applicationId, string vanityDomain);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information,
        Message = "First run: credentials written to {Path} (mode 0600). Open {HttpsUrl} ; the demo tenant is '{DemoTenant}'")]
    public static partial void BootstrapFileWritten(ILogger logger, string path, string httpsUrl, string demoTenant);
}
