// Package shim hands the Terraform docker provider (kreuzwerker, declared as
// github.com/terraform-providers/terraform-provider-docker) to the Pulumi
// bridge. The Pulumi provider module replaces this module path with a local
// folder; scripts/pulumi-toolchain.sh supplies this file there and writes the
// go.mod (module github.com/terraform-providers/terraform-provider-docker/shim).
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	upstream "github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// UpstreamVersion is the version string the upstream provider reports (it
// only ends up in its user agent). The build sets it with -ldflags -X.
var UpstreamVersion = "dev"

// NewProvider returns a fresh upstream SDKv2 provider.
func NewProvider() *schema.Provider {
	return upstream.New(UpstreamVersion)()
}
