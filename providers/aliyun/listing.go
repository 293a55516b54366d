package aliyun

import (
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"
)

// The listing responses below decode only what the inventory takes of
// DescribeInstances and DescribeDisks, with the SDK's own JSON names and
// its parser (responses.Unmarshal, with the SDK's fuzzy number and bool
// decoding), through the same signed call. The SDK's full types
// (ecs.Instance: some ninety fields; ecs.Disk: some forty strings) made
// decoding the largest CPU cost and allocation of a full sync: every
// field of every listed instance and disk was decoded, then most thrown
// away.

// listedInstance is what the inventory takes of an instance in a
// DescribeInstances response (the fields toAsset maps, with the SDK's
// JSON names: the API answers CPU or Cpu, OSType or OsType depending on
// the version, as ecs.Instance has both).
type listedInstance struct {
	InstanceId              string `json:"InstanceId"`
	InstanceName            string `json:"InstanceName"`
	Status                  string `json:"Status"`
	RegionId                string `json:"RegionId"`
	ZoneId                  string `json:"ZoneId"`
	InstanceType            string `json:"InstanceType"`
	InstanceTypeFamily      string `json:"InstanceTypeFamily"`
	CPU                     int    `json:"CPU"`
	Cpu                     int    `json:"Cpu"`
	Memory                  int    `json:"Memory"`
	OSType                  string `json:"OSType"`
	OsType                  string `json:"OsType"`
	OSName                  string `json:"OSName"`
	OSNameEn                string `json:"OSNameEn"`
	ImageId                 string `json:"ImageId"`
	InternetMaxBandwidthIn  int    `json:"InternetMaxBandwidthIn"`
	InternetMaxBandwidthOut int    `json:"InternetMaxBandwidthOut"`
	InstanceChargeType      string `json:"InstanceChargeType"`
	InstanceNetworkType     string `json:"InstanceNetworkType"`
	CreationTime            string `json:"CreationTime"`
	ExpiredTime             string `json:"ExpiredTime"`
	IoOptimized             bool   `json:"IoOptimized"`
	Description             string `json:"Description"`
	HostName                string `json:"HostName"`
	KeyPairName             string `json:"KeyPairName"`
	PublicIpAddress         struct {
		IpAddress []string `json:"IpAddress"`
	} `json:"PublicIpAddress"`
	InnerIpAddress struct {
		IpAddress []string `json:"IpAddress"`
	} `json:"InnerIpAddress"`
	EipAddress struct {
		IpAddress string `json:"IpAddress"`
	} `json:"EipAddress"`
	VpcAttributes struct {
		VpcId            string `json:"VpcId"`
		VSwitchId        string `json:"VSwitchId"`
		PrivateIpAddress struct {
			IpAddress []string `json:"IpAddress"`
		} `json:"PrivateIpAddress"`
	} `json:"VpcAttributes"`
	SecurityGroupIds struct {
		SecurityGroupId []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	Tags struct {
		Tag []listedTag `json:"Tag"`
	} `json:"Tags"`
}

// listedTag is a tag of a listed instance: the API names its fields
// TagKey and TagValue, older versions Key and Value (as ecs.Tag has
// both).
type listedTag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
	Key      string `json:"Key"`
	Value    string `json:"Value"`
}

// instancesPage is a DescribeInstances response as the inventory reads it.
type instancesPage struct {
	*responses.BaseResponse
	NextToken string `json:"NextToken"`
	Instances struct {
		Instance []listedInstance `json:"Instance"`
	} `json:"Instances"`
}

func newInstancesPage() *instancesPage {
	return &instancesPage{BaseResponse: &responses.BaseResponse{}}
}

// listedDisk is what the inventory takes of a disk in a DescribeDisks
// response.
type listedDisk struct {
	DiskId             string `json:"DiskId"`
	InstanceId         string `json:"InstanceId"`
	Category           string `json:"Category"`
	Device             string `json:"Device"`
	Type               string `json:"Type"`
	Size               int    `json:"Size"`
	DeleteWithInstance bool   `json:"DeleteWithInstance"`
	Encrypted          bool   `json:"Encrypted"`
}

// disksPage is a DescribeDisks response as the inventory reads it.
type disksPage struct {
	*responses.BaseResponse
	NextToken string `json:"NextToken"`
	Disks     struct {
		Disk []listedDisk `json:"Disk"`
	} `json:"Disks"`
}

func newDisksPage() *disksPage { return &disksPage{BaseResponse: &responses.BaseResponse{}} }

// The listing's answers are decoded as the body arrives, by the call's
// transport (ctxTransport), instead of by the SDK: the SDK reads a whole
// body into memory, keeps it twice (its bytes and a string copy) and
// decodes from there, about three times a body's size for each answer
// in flight (a page of 500 disks is some 700 kB), which with a sync's
// regions listed side by side set its peak memory and half of what it
// allocated. The transport hands the SDK an empty object instead, which
// leaves the decoded fields as they are.

// streamedAnswer is a response the transport decodes from the body.
type streamedAnswer interface {
	responses.AcsResponse
	streamed()
}

func (*instancesPage) streamed() {}
func (*disksPage) streamed()     {}

// listingJSON is the SDK's parser (responses.Unmarshal) as far as the
// listing's types need it: its configuration (names matched with case),
// and its fuzzy decoding of the kinds the types hold (string, bool,
// int), the same code over the same jsoniter. TestListingStreamDecodesAsTheSDK
// keeps the listing's types to those kinds and compares the two on odd
// answers.
var listingJSON = func() jsoniter.API {
	api := jsoniter.Config{EscapeHTML: true, SortMapKeys: true, ValidateJsonRawMessage: true, CaseSensitive: true}.Froze()
	api.RegisterExtension(jsoniter.DecoderExtension{
		reflect2.DefaultTypeOfKind(reflect.String): fuzzyString{},
		reflect2.DefaultTypeOfKind(reflect.Bool):   fuzzyBool{},
		reflect2.DefaultTypeOfKind(reflect.Int):    fuzzyInt{},
	})
	return api
}()

// answerBuffer is the read buffer of a streamed decode.
const answerBuffer = 32 << 10

// decodeAnswer decodes one JSON value from r into v with listingJSON.
// An error reading r is returned as it is; a body that is not the
// expected JSON (truncated, malformed) is the SDK's JsonUnmarshalError,
// as responses.Unmarshal returns it.
func decodeAnswer(r io.Reader, v any) error {
	er := &readErr{r: r}
	iter := jsoniter.Parse(listingJSON, er, answerBuffer)
	iter.ReadVal(v)
	switch {
	case er.err != nil:
		return er.err
	case iter.Error != nil && iter.Error != io.EOF:
		return sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, sdkerrors.JsonUnmarshalErrorMessage, iter.Error)
	}
	return nil
}

// readErr remembers the first error of r other than io.EOF.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// The fuzzy decoders below are the SDK's (sdk/responses/json_parser.go:
// nullableFuzzyStringDecoder, fuzzyBoolDecoder and
// nullableFuzzyIntegerDecoder for int), which it does not export.

type fuzzyString struct{}

func (fuzzyString) Decode(ptr unsafe.Pointer, iter *jsoniter.Iterator) {
	switch iter.WhatIsNext() {
	case jsoniter.NumberValue:
		var number json.Number
		iter.ReadVal(&number)
		*(*string)(ptr) = string(number)
	case jsoniter.StringValue:
		*(*string)(ptr) = iter.ReadString()
	case jsoniter.BoolValue:
		*(*string)(ptr) = strconv.FormatBool(iter.ReadBool())
	case jsoniter.NilValue:
		iter.ReadNil()
		*(*string)(ptr) = ""
	default:
		iter.ReportError("fuzzyStringDecoder", "not number or string or bool")
	}
}

type fuzzyBool struct{}

func (fuzzyBool) Decode(ptr unsafe.Pointer, iter *jsoniter.Iterator) {
	switch iter.WhatIsNext() {
	case jsoniter.BoolValue:
		*(*bool)(ptr) = iter.ReadBool()
	case jsoniter.NumberValue:
		var number json.Number
		iter.ReadVal(&number)
		num, err := number.Int64()
		if err != nil {
			iter.ReportError("fuzzyBoolDecoder", "get value from json.number failed")
		}
		*(*bool)(ptr) = num != 0
	case jsoniter.StringValue:
		switch s := strings.ToLower(iter.ReadString()); s {
		case "true":
			*(*bool)(ptr) = true
		case "false", "":
			*(*bool)(ptr) = false
		default:
			iter.ReportError("fuzzyBoolDecoder", "unsupported bool value: "+s)
		}
	case jsoniter.NilValue:
		iter.ReadNil()
		*(*bool)(ptr) = false
	default:
		iter.ReportError("fuzzyBoolDecoder", "not number or string or nil")
	}
}

type fuzzyInt struct{}

func (fuzzyInt) Decode(ptr unsafe.Pointer, iter *jsoniter.Iterator) {
	var str string
	switch iter.WhatIsNext() {
	case jsoniter.NumberValue:
		var number json.Number
		iter.ReadVal(&number)
		str = string(number)
	case jsoniter.StringValue:
		if str = iter.ReadString(); str == "" {
			str = "0"
		}
	case jsoniter.BoolValue:
		str = "0"
		if iter.ReadBool() {
			str = "1"
		}
	case jsoniter.NilValue:
		iter.ReadNil()
		str = "0"
	default:
		iter.ReportError("fuzzyIntegerDecoder", "not number or string")
	}
	sub := iter.Pool().BorrowIterator([]byte(str))
	defer iter.Pool().ReturnIterator(sub)
	if strings.IndexByte(str, '.') != -1 {
		v := sub.ReadFloat64()
		if v > float64(math.MaxInt) || v < float64(math.MinInt) {
			sub.ReportError("fuzzy decode int", "exceed range")
		} else {
			*(*int)(ptr) = int(v)
		}
	} else {
		*(*int)(ptr) = sub.ReadInt()
	}
	if sub.Error != nil && sub.Error != io.EOF {
		iter.Error = sub.Error
	}
}
