using Lanyard.Server.Common;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Persistence;

internal static class WireNameConversion
{
    /// <summary>Stores an enum as its Wristband wire name (e.g. <c>PENDING_INVITE_ACTIVATION</c>).</summary>
    public static PropertyBuilder<TEnum> HasWireNames<TEnum>(this PropertyBuilder<TEnum> property)
        where TEnum : struct, Enum =>
        property.HasConversion(v => WireName<TEnum>.Of(v), v => WireName<TEnum>.Parse(v)).HasMaxLength(40);

    /// <summary>The same for an optional enum; null stays null.</summary>
    public static PropertyBuilder<TEnum?> HasWireNames<TEnum>(this PropertyBuilder<TEnum?> property)
        where TEnum : struct, Enum =>
        property.HasConversion(
            v => v.HasValue ? WireName<TEnum>.Of(v.Value) : null,
            v => v == null ? null : WireName<TEnum>.Parse(v)).HasMaxLength(40);
}
