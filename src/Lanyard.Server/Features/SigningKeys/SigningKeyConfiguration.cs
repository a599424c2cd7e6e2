using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.SigningKeys;

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> builder)
    {
        builder.ToTable("signing_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasMaxLength(26);
        builder.Property(k => k.ApplicationId).HasMaxLength(26);
        builder.Property(k => k.Algorithm).HasMaxLength(10);
        builder.HasIndex(k => new { k.ApplicationId, k.ActivatesAt });
    }
}
