package collector

import (
	"slices"
	"testing"

	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

func TestConfigReservesEveryLabelTheExporterSets(t *testing.T) {
	set := append([]string{labelSDKAppID, labelRoomID, labelSource, labelAPI, labelCode, labelResult, labelCause}, infoLabels...)
	reserved := slices.Clone(config.ReservedLabelNames)
	slices.Sort(set)
	slices.Sort(reserved)
	if !slices.Equal(set, reserved) {
		t.Errorf("labels the exporter sets %v, labels the configuration reserves %v", set, reserved)
	}
}
