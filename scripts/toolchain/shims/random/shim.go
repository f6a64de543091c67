// Package shim hands the Terraform random provider's plugin-framework
// provider to the Pulumi bridge. The Pulumi provider module replaces this
// module path with a local folder; scripts/pulumi-toolchain.sh supplies this
// file there and writes the go.mod (module
// github.com/terraform-providers/terraform-provider-random/shim), so the
// upstream's internal package is importable from here.
package shim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns a fresh upstream provider.
func NewProvider() fwprovider.Provider {
	return upstream.New()
}
