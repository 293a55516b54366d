package mapping_test

import (
	"fmt"

	"github.com/multicloud-ecs/multicloud/mapping"
)

func ExampleCatalog_Select() {
	c, err := mapping.Load("aliyun")
	if err != nil {
		panic(err)
	}
	types, err := c.Select(mapping.Requirements{GPUModel: "NVIDIA A100", GPUCount: 1})
	if err != nil {
		panic(err)
	}
	for _, t := range types {
		fmt.Printf("%s %dx%s %gGiB\n", t.ID, t.GPUCount, t.GPUModel, t.GPUMemoryGiB)
	}
	image, err := c.ImageID("cn-hangzhou", "ubuntu-22.04")
	if err != nil {
		panic(err)
	}
	fmt.Println(image)
	// Output:
	// ecs.gn7-c12g1.3xlarge 1xA100 40GiB
	// ecs.gn7e-c16g1.4xlarge 1xA100 80GiB
	// ubuntu_22_04_x64_20G_alibase_20230815.vhd
}
