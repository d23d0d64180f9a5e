package tencent

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Regions maps the region keys of the configuration to the API domain of
// that region. An SDKAppID's region is fixed when the app is created.
// Callers must not modify it.
var Regions = map[string]string{
	"china":     "console.tim.qq.com",
	"singapore": "adminapisgp.im.qcloud.com",
	"usa":       "adminapiusa.im.qcloud.com",
	"korea":     "adminapikr.im.qcloud.com",
	"japan":     "adminapijpn.im.qcloud.com",
	"germany":   "adminapiger.im.qcloud.com",
	"india":     "adminapiind.im.qcloud.com",
	"indonesia": "adminapiidn.im.qcloud.com",
}

// RegionURL returns the base URL (https://domain) of region, or an error
// naming the region and the known ones.
func RegionURL(region string) (string, error) {
	domain, ok := Regions[region]
	if !ok {
		known := slices.Sorted(maps.Keys(Regions))
		return "", fmt.Errorf("unknown region %q (known: %s)", region, strings.Join(known, ", "))
	}
	return "https://" + domain, nil
}
