using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Clients;

internal sealed class OAuthClientConfiguration : IEntityTypeConfiguration<OAuthClient>
{
    public void Configure(EntityTypeBuilder<OAuthClient> builder)
    {
        builder.ToTable("oauth_clients");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasMaxLength(26);
        builder.Property(c => c.ApplicationId).HasMaxLength(26);
        builder.HasIndex(c => c.ApplicationId);
        builder.Property(c => c.Name).HasMaxLength(100);
        builder.Property(c => c.Type).HasWireNames();
        builder.Property(c => c.LoginUrl).HasMaxLength(2000);
        builder.Property(c => c.SecretHash).HasMaxLength(128);
        builder.Property(c => c.PreviousSecretHash).HasMaxLength(128);
        builder.Ignore(c => c.IsConfidential);
        builder.Property(c => c.Version).IsConcurrencyToken();
    }
}
