using System.Linq.Expressions;
using System.Reflection;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Persistence;

/// <summary>
/// The one context and model. Provider-specific subclasses exist only so each provider has its own
/// migration history (see docs/adr/0002); application code always asks for this type.
/// </summary>
/// <remarks>
/// Contexts are pooled (docs/adr/0014): an instance serves one scope at a time and is handed the scope's tenant
/// context each time it is leased (<see cref="DatabaseSetup"/>). Until then it has an empty one, which sees no
/// application's or tenant's rows.
/// </remarks>
internal class LanyardDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public ITenantContext Tenant { get; private set; } = new TenantContext();

    /// <summary>Set when this unit of work enqueued email; the outbox worker is woken once it commits.</summary>
    internal bool OutboxPending { get; set; }

    /// <summary>
    /// Binds a pooled context to the scope that leased it. Every lease calls this, so nothing of the previous scope's
    /// (its tenant, an outbox flag it left set) reaches the next; EF Core resets its own state when the lease ends.
    /// </summary>
    internal LanyardDbContext LeasedTo(ITenantContext tenant)
    {
        Tenant = tenant;
        OutboxPending = false;
        return this;
    }

    // Read by the query filters at execution time; EF parameterizes members of the context.
    private string? CurrentApplicationId => Tenant.ApplicationId;
    private string? CurrentTenantId => Tenant.TenantId;

    public DbSet<Application> Applications => Set<Application>();
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<User> Users => Set<User>();
    public DbSet<IdentityProvider> IdentityProviders => Set<IdentityProvider>();
    public DbSet<OAuthClient> Clients => Set<OAuthClient>();
    public DbSet<Role> Roles => Set<Role>();
    public DbSet<Permission> Permissions => Set<Permission>();
    public DbSet<RolePermission> RolePermissions => Set<RolePermission>();
    public DbSet<UserRole> UserRoles => Set<UserRole>();
    public DbSet<ClientRole> ClientRoles => Set<ClientRole>();
    public DbSet<PermissionBoundary> PermissionBoundaries => Set<PermissionBoundary>();
    public DbSet<PermissionGroup> PermissionGroups => Set<PermissionGroup>();
    public DbSet<PermissionGroupPermission> PermissionGroupPermissions => Set<PermissionGroupPermission>();
    public DbSet<RolePermissionGroup> RolePermissionGroups => Set<RolePermissionGroup>();
    public DbSet<Policy> Policies => Set<Policy>();
    public DbSet<PolicyOverrideToggle> PolicyOverrideToggles => Set<PolicyOverrideToggle>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<Grant> Grants => Set<Grant>();
    public DbSet<AuthorizationCode> AuthorizationCodes => Set<AuthorizationCode>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<AuthSession> AuthSessions => Set<AuthSession>();
    public DbSet<ThrottleCounter> ThrottleCounters => Set<ThrottleCounter>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<WorkflowCode> WorkflowCodes => Set<WorkflowCode>();
    public DbSet<InvitationRequest> InvitationRequests => Set<InvitationRequest>();
    public DbSet<Features.Mfa.MfaFactor> MfaFactors => Set<Features.Mfa.MfaFactor>();

    /// <summary>ASP.NET Core's data-protection key ring (see <see cref="DataProtectionKeys"/>); not owned by any application.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ApplyEntityConfigurations(modelBuilder);

        foreach (var entityType in modelBuilder.Model.GetEntityTypes().Where(e => !e.IsOwned()).ToList())
        {
            var clr = entityType.ClrType;
            if (typeof(IApplicationOwned).IsAssignableFrom(clr))
            {
                Apply(nameof(ApplicationFilter), clr, modelBuilder);
            }

            if (typeof(ITenantOwned).IsAssignableFrom(clr))
            {
                Apply(nameof(TenantFilter), clr, modelBuilder);
            }
            else if (typeof(IApplicationOrTenantOwned).IsAssignableFrom(clr))
            {
                Apply(nameof(ApplicationOrTenantFilter), clr, modelBuilder);
            }
        }
    }

    /// <summary>
    /// Every entity's configuration, named here rather than found by <c>ApplyConfigurationsFromAssembly</c>: that loads
    /// every type of the assembly to find these few, and the runtime keeps them all (<see cref="MigrationTypes"/>).
    /// A configuration left out changes the model: <c>ModelArchitectureTests</c> (the migrations against the model, the
    /// owner columns and filters) fails.
    /// </summary>
    private static void ApplyEntityConfigurations(ModelBuilder modelBuilder)
    {
        modelBuilder
            .ApplyConfiguration(new ApplicationConfiguration())
            .ApplyConfiguration(new TenantConfiguration())
            .ApplyConfiguration(new UserConfiguration())
            .ApplyConfiguration(new IdentityProviderConfiguration())
            .ApplyConfiguration(new OAuthClientConfiguration())
            .ApplyConfiguration(new SigningKeyConfiguration())
            .ApplyConfiguration(new AuthSessionConfiguration())
            .ApplyConfiguration(new ThrottleCounterConfiguration())
            .ApplyConfiguration(new OutboxMessageConfiguration())
            .ApplyConfiguration(new WorkflowCodeConfiguration())
            .ApplyConfiguration(new InvitationRequestConfiguration())
            .ApplyConfiguration(new Features.Mfa.MfaFactorConfiguration())
            .ApplyConfiguration(new DataProtectionKeyConfiguration());

        var policies = new PolicyConfiguration();
        modelBuilder.ApplyConfiguration<Policy>(policies).ApplyConfiguration<PolicyOverrideToggle>(policies);

        var grants = new GrantConfiguration();
        modelBuilder.ApplyConfiguration<Grant>(grants)
            .ApplyConfiguration<AuthorizationCode>(grants)
            .ApplyConfiguration<RefreshToken>(grants);

        var roles = new RoleConfiguration();
        modelBuilder.ApplyConfiguration<Role>(roles)
            .ApplyConfiguration<Permission>(roles)
            .ApplyConfiguration<RolePermission>(roles)
            .ApplyConfiguration<UserRole>(roles)
            .ApplyConfiguration<ClientRole>(roles);

        var boundaries = new PermissionBoundaryConfiguration();
        modelBuilder.ApplyConfiguration<PermissionBoundary>(boundaries)
            .ApplyConfiguration<PermissionGroup>(boundaries)
            .ApplyConfiguration<PermissionGroupPermission>(boundaries)
            .ApplyConfiguration<RolePermissionGroup>(boundaries);
    }

    private void Apply(string method, Type clr, ModelBuilder modelBuilder) =>
        typeof(LanyardDbContext)
            .GetMethod(method, BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(clr)
            .Invoke(this, [modelBuilder]);

    private void ApplicationFilter<T>(ModelBuilder modelBuilder) where T : class, IApplicationOwned =>
        modelBuilder.Entity<T>().HasQueryFilter(QueryFilters.Application, Filter<T>(e => e.ApplicationId == CurrentApplicationId));

    private void TenantFilter<T>(ModelBuilder modelBuilder) where T : class, ITenantOwned =>
        modelBuilder.Entity<T>().HasQueryFilter(QueryFilters.Tenant, Filter<T>(e => e.TenantId == CurrentTenantId));

    // An application scope without a tenant sees only application-owned rows; a tenant scope also sees its own.
    private void ApplicationOrTenantFilter<T>(ModelBuilder modelBuilder) where T : class, IApplicationOrTenantOwned =>
        modelBuilder.Entity<T>().HasQueryFilter(QueryFilters.Tenant, Filter<T>(e => e.TenantId == null || e.TenantId == CurrentTenantId));

    private static Expression<Func<T, bool>> Filter<T>(Expression<Func<T, bool>> filter) => filter;
}
