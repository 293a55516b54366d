package inventory_test

import (
	"testing"

	"github.com/multicloud-ecs/multicloud/inventory"
	"github.com/multicloud-ecs/multicloud/inventory/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) inventory.Store { return inventory.NewMemStore() })
}
