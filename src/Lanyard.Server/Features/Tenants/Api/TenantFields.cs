using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;

namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>
/// The writable fields of a tenant as one create or patch body gives them, checked with
/// <see cref="TenantRules"/>; violations land in the patch's list.
/// </summary>
internal sealed class TenantFields
{
    /// <summary>Fields whose change needs a permission beyond <c>tenant:write</c>.</summary>
    public static readonly (string Field, string Permission)[] Guarded =
    [
        ("status", "tenant:manage-status"),
        ("signupEnabled", "tenant:manage-signup-enablement"),
        ("restrictedMetadata", "tenant:manage-restricted-metadata"),
    ];

    /// <summary>The statuses a caller may set; DELETE_IN_PROGRESS comes only from DELETE.</summary>
    private static readonly TenantStatus[] Settable = [TenantStatus.Active, TenantStatus.Inactive];

    private TenantFields() { }

    public Patched<string> DisplayName { get; private init; }
    public Patched<string> Description { get; private init; }
    public Patched<string> LogoUrl { get; private init; }
    public Patched<bool> SignupEnabled { get; private init; }
    public Patched<TenantStatus> Status { get; private init; }
    public Patched<string> PublicMetadata { get; private init; }
    public Patched<string> RestrictedMetadata { get; private init; }

    /// <summary>Reads and checks the fields; on create <c>displayName</c> is required and <c>status</c> is not accepted.</summary>
    public static TenantFields Read(MergePatch patch, bool create)
    {
        var violations = patch.Violations;
        var displayName = patch.String("displayName", nullable: false);
        if (displayName.HasValue)
        {
            displayName = displayName with { Value = TenantRules.DisplayName(displayName.Value, violations) };
        }
        else if (create && !violations.ByField.ContainsKey("displayName"))
        {
            violations.Add("displayName", ViolationCodes.Required);
        }

        var description = patch.String("description");
        var logoUrl = patch.String("logoUrl");
        var status = create ? default : ReadStatus(patch);
        return new TenantFields
        {
            DisplayName = displayName,
            Description = description.HasValue ? description with { Value = TenantRules.Description(description.Value, violations) } : description,
            LogoUrl = logoUrl.HasValue ? logoUrl with { Value = TenantRules.ImageUrl(logoUrl.Value, violations, "logoUrl") } : logoUrl,
            SignupEnabled = patch.Boolean("signupEnabled"),
            Status = status,
            PublicMetadata = patch.ObjectText("publicMetadata", TenantRules.MetadataMaxLength),
            RestrictedMetadata = patch.ObjectText("restrictedMetadata", TenantRules.MetadataMaxLength),
        };
    }

    /// <summary>Copies every given field onto <paramref name="tenant"/>; <c>null</c> clears a nullable one.</summary>
    public void ApplyTo(Tenant tenant)
    {
        if (DisplayName.HasValue)
        {
            tenant.DisplayName = DisplayName.Value!;
        }

        if (Description.IsPresent)
        {
            tenant.Description = Description.Value;
        }

        if (LogoUrl.IsPresent)
        {
            tenant.LogoUrl = LogoUrl.Value;
        }

        if (SignupEnabled.HasValue)
        {
            tenant.SignupEnabled = SignupEnabled.Value;
        }

        if (Status.HasValue)
        {
            tenant.Status = Status.Value;
        }

        if (PublicMetadata.IsPresent)
        {
            tenant.PublicMetadata = PublicMetadata.Value;
        }

        if (RestrictedMetadata.IsPresent)
        {
            tenant.RestrictedMetadata = RestrictedMetadata.Value;
        }
    }

    private static Patched<TenantStatus> ReadStatus(MergePatch patch)
    {
        var text = patch.String("status", nullable: false);
        if (!text.HasValue)
        {
            return default;
        }

        if (!WireName<TenantStatus>.TryParse(text.Value, out var status) || !Settable.Contains(status))
        {
            patch.Violations.Add("status", ViolationCodes.InvalidValue, new Dictionary<string, object>
            {
                ["allowedValues"] = Settable.Select(WireName<TenantStatus>.Of).ToArray(),
            });
            return default;
        }

        return new Patched<TenantStatus>(PatchState.Value, status);
    }
}
