//go:build ignore

// Command gen writes the documented response tables in ../ (ecs.json,
// vpc.json) from the per-action response models of the v2 Alibaba Cloud SDKs
// (github.com/alibabacloud-go/ecs-20140526/v7 v7.7.0 and
// github.com/alibabacloud-go/vpc-20160428/v6 v6.12.8). Those models are
// generated from the API metadata the reference pages' response tables are
// rendered from, one type per action, unlike the v1 SDK's structs, which merge
// same-named structures of different actions. Time layouts come from the
// models' examples and from extraTimes (the reference's statements).
//
// It is not part of the module's build. Run it from a scratch module:
//
//	go mod init gen && go get github.com/alibabacloud-go/ecs-20140526/v7@v7.7.0 \
//	    github.com/alibabacloud-go/vpc-20160428/v6@v6.12.8
//	GOMODCACHE=$(go env GOMODCACHE) go run main.go path/to/testdata/documented
//
// and review the diff against the reference pages before committing it.
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
)

var sources = map[string]map[string]any{
	"ecs": {
		"DescribeRegions":                       ecs.DescribeRegionsResponseBody{},
		"DescribeZones":                         ecs.DescribeZonesResponseBody{},
		"DescribeInstanceTypes":                 ecs.DescribeInstanceTypesResponseBody{},
		"DescribeImages":                        ecs.DescribeImagesResponseBody{},
		"DescribeAvailableResource":             ecs.DescribeAvailableResourceResponseBody{},
		"DescribePrice":                         ecs.DescribePriceResponseBody{},
		"DescribeSpotPriceHistory":              ecs.DescribeSpotPriceHistoryResponseBody{},
		"RunInstances":                          ecs.RunInstancesResponseBody{},
		"DescribeInstances":                     ecs.DescribeInstancesResponseBody{},
		"DescribeInstanceHistoryEvents":         ecs.DescribeInstanceHistoryEventsResponseBody{},
		"DescribeInstanceStatus":                ecs.DescribeInstanceStatusResponseBody{},
		"StartInstance":                         ecs.StartInstanceResponseBody{},
		"StopInstance":                          ecs.StopInstanceResponseBody{},
		"RebootInstance":                        ecs.RebootInstanceResponseBody{},
		"DeleteInstance":                        ecs.DeleteInstanceResponseBody{},
		"StartInstances":                        ecs.StartInstancesResponseBody{},
		"StopInstances":                         ecs.StopInstancesResponseBody{},
		"RebootInstances":                       ecs.RebootInstancesResponseBody{},
		"DeleteInstances":                       ecs.DeleteInstancesResponseBody{},
		"DescribeDisks":                         ecs.DescribeDisksResponseBody{},
		"CreateSecurityGroup":                   ecs.CreateSecurityGroupResponseBody{},
		"AuthorizeSecurityGroup":                ecs.AuthorizeSecurityGroupResponseBody{},
		"RevokeSecurityGroup":                   ecs.RevokeSecurityGroupResponseBody{},
		"ModifySecurityGroupPolicy":             ecs.ModifySecurityGroupPolicyResponseBody{},
		"DescribeInstanceAutoRenewAttribute":    ecs.DescribeInstanceAutoRenewAttributeResponseBody{},
		"DescribeSecurityGroups":                ecs.DescribeSecurityGroupsResponseBody{},
		"DescribeSecurityGroupAttribute":        ecs.DescribeSecurityGroupAttributeResponseBody{},
		"DeleteSecurityGroup":                   ecs.DeleteSecurityGroupResponseBody{},
		"TagResources":                          ecs.TagResourcesResponseBody{},
		"UntagResources":                        ecs.UntagResourcesResponseBody{},
		"ListTagResources":                      ecs.ListTagResourcesResponseBody{},
		"DescribeInstanceAttribute":             ecs.DescribeInstanceAttributeResponseBody{},
		"DescribeUserData":                      ecs.DescribeUserDataResponseBody{},
		"DescribeInstanceRamRole":               ecs.DescribeInstanceRamRoleResponseBody{},
		"DescribeInstanceMaintenanceAttributes": ecs.DescribeInstanceMaintenanceAttributesResponseBody{},
		"DescribeInstanceAttachmentAttributes":  ecs.DescribeInstanceAttachmentAttributesResponseBody{},
		"DescribeNetworkInterfaces":             ecs.DescribeNetworkInterfacesResponseBody{},
	},
	"vpc": {
		"CreateVpc":                 vpc.CreateVpcResponseBody{},
		"DescribeVpcs":              vpc.DescribeVpcsResponseBody{},
		"DescribeVpcAttribute":      vpc.DescribeVpcAttributeResponseBody{},
		"ModifyVpcAttribute":        vpc.ModifyVpcAttributeResponseBody{},
		"DeleteVpc":                 vpc.DeleteVpcResponseBody{},
		"CreateVSwitch":             vpc.CreateVSwitchResponseBody{},
		"DescribeVSwitches":         vpc.DescribeVSwitchesResponseBody{},
		"DescribeVSwitchAttributes": vpc.DescribeVSwitchAttributesResponseBody{},
		"ModifyVSwitchAttribute":    vpc.ModifyVSwitchAttributeResponseBody{},
		"DeleteVSwitch":             vpc.DeleteVSwitchResponseBody{},
		"DescribeRouteTableList":    vpc.DescribeRouteTableListResponseBody{},
		"AllocateEipAddress":        vpc.AllocateEipAddressResponseBody{},
		"AssociateEipAddress":       vpc.AssociateEipAddressResponseBody{},
		"UnassociateEipAddress":     vpc.UnassociateEipAddressResponseBody{},
		"ReleaseEipAddress":         vpc.ReleaseEipAddressResponseBody{},
		"DescribeEipAddresses":      vpc.DescribeEipAddressesResponseBody{},
		"TagResources":              vpc.TagResourcesResponseBody{},
		"UnTagResources":            vpc.UnTagResourcesResponseBody{},
		"ListTagResources":          vpc.ListTagResourcesResponseBody{},
		"DescribeRegions":           vpc.DescribeRegionsResponseBody{},
	},
}

// examples maps "Type.Field" to the example value in the model's comment.
var examples = map[string]string{}

func loadExamples(dir string) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return strings.HasSuffix(fi.Name(), "response_body_model.go") }, parser.ParseComments)
	if err != nil {
		panic(err)
	}
	for _, p := range pkgs {
		for _, f := range p.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return false
				}
				for _, fl := range st.Fields.List {
					if fl.Doc == nil || len(fl.Names) == 0 {
						continue
					}
					lines := strings.Split(fl.Doc.Text(), "\n")
					for i, l := range lines {
						if strings.TrimSpace(l) == "example:" {
							for _, v := range lines[i+1:] {
								if v = strings.TrimSpace(v); v != "" {
									examples[ts.Name.Name+"."+fl.Names[0].Name] = v
									break
								}
							}
						}
					}
				}
				return false
			})
		}
	}
}

var timeLayouts = []struct {
	re     *regexp.Regexp
	layout string
}{
	{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`), "2006-01-02T15:04Z"},
	{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`), "2006-01-02T15:04:05Z"},
	{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`), "2006-01-02T15:04:05.000Z"},
	{regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`), "2006-01-02 15:04:05"},
}

// extraTimes are documented time layouts the models carry no example for:
// the ECS instance tables write times without seconds ("2017-12-10T04:04Z");
// DescribeSpotPriceHistory's times are yyyy-MM-ddTHH:mm:ssZ (its request
// table's; the response's Timestamp has no example).
var extraTimes = map[string]map[string]string{
	"ecs.DescribeSpotPriceHistory": {
		"SpotPrices.SpotPriceType[].Timestamp": "2006-01-02T15:04:05Z",
	},
	"ecs.DescribeInstances": {
		"Instances.Instance[].CreationTime": "2006-01-02T15:04Z",
		"Instances.Instance[].StartTime":    "2006-01-02T15:04Z",
		"Instances.Instance[].ExpiredTime":  "2006-01-02T15:04Z",
	},
}

type table struct {
	Fields map[string]string `json:"fields"`
	Times  map[string]string `json:"times,omitempty"`
}

func walk(t reflect.Type, prefix string, tb *table) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		value(f.Type, prefix+name, tb, t.Name()+"."+f.Name)
	}
}

func value(t reflect.Type, path string, tb *table, key string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		tb.Fields[path] = "string"
		if ex, ok := examples[key]; ok {
			for _, l := range timeLayouts {
				if l.re.MatchString(ex) {
					tb.Times[path] = l.layout
				}
			}
		}
	case reflect.Bool:
		tb.Fields[path] = "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		tb.Fields[path] = "number"
	case reflect.Struct:
		tb.Fields[path] = "object"
		walk(t, path+".", tb)
	case reflect.Slice:
		tb.Fields[path] = "array"
		value(t.Elem(), path+"[]", tb, key)
	case reflect.Map, reflect.Interface:
		tb.Fields[path] = "object"
	}
}

func main() {
	mod := os.Getenv("GOMODCACHE")
	loadExamples(mod + "/github.com/alibabacloud-go/ecs-20140526/v7@v7.7.0/client")
	loadExamples(mod + "/github.com/alibabacloud-go/vpc-20160428/v6@v6.12.8/client")
	out := os.Args[1]
	if len(os.Args) > 2 {
		genGo(os.Args[2])
		return
	}
	for product, actions := range sources {
		all := map[string]*table{}
		for a, v := range actions {
			tb := &table{Fields: map[string]string{}, Times: map[string]string{}}
			walk(reflect.TypeOf(v), "", tb)
			for p, l := range extraTimes[product+"."+a] {
				tb.Times[p] = l
			}
			all[a] = tb
		}
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(out+"/"+product+".json", append(b, '\n'), 0o644); err != nil {
			panic(err)
		}
	}
}

// genGo prints Go declarations for product.Action's response body.
func genGo(spec string) {
	product, action, _ := strings.Cut(spec, ".")
	t := reflect.TypeOf(sources[product][action])
	var later []func()
	fmt.Print(decl(t, strings.ToLower(action[:1])+action[1:]+"Resp", true, &later))
	for len(later) > 0 {
		f := later[0]
		later = later[1:]
		f()
	}
}

func decl(t reflect.Type, name string, top bool, later *[]func()) string {
	var b strings.Builder
	b.WriteString("type " + name + " struct {\n")
	if top {
		b.WriteString("\trespBase\n")
	}
	keys := []string{}
	for i := range t.NumField() {
		keys = append(keys, t.Field(i).Name)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, _ := t.FieldByName(k)
		jn, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if jn == "" || jn == "-" || (top && jn == "RequestId") {
			continue
		}
		b.WriteString("\t" + jn + " " + gotype(f.Type, name, jn, later) + " `json:\"" + jn + "\"`\n")
	}
	b.WriteString("}\n\n")
	return b.String()
}

func gotype(t reflect.Type, parent, field string, later *[]func()) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int32:
		return "int"
	case reflect.Int64:
		return "int64"
	case reflect.Float32, reflect.Float64:
		return "float64"
	case reflect.Slice:
		e := t.Elem()
		for e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		if e.Kind() != reflect.Struct {
			return "[]" + gotype(e, parent, field, later)
		}
		n := parent + field
		*later = append(*later, func() { fmt.Print(decl(e, n, false, later)) })
		return "[]" + n
	case reflect.Struct:
		if t.NumField() == 1 && t.Field(0).Name == "IpAddress" {
			return "ipList"
		}
		var b strings.Builder
		b.WriteString("struct {\n")
		for i := range t.NumField() {
			f := t.Field(i)
			jn, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			b.WriteString(jn + " " + gotype(f.Type, parent+field, jn, later) + " `json:\"" + jn + "\"`\n")
		}
		b.WriteString("}")
		return b.String()
	}
	return "any"
}
