{{/* NATS settings computed from values (issue 29 point 5). */}}

{{/* The server's pid file: the preStop hook signals lame duck mode to the process it names. */}}
{{- define "ticketcd.nats.pidFile" -}}/var/run/nats/nats.pid{{- end -}}

{{/* max_file_store in bytes: maxFileStorePercent of the volume, the rest left to the filesystem's own reserve, the Raft logs and compaction. */}}
{{- define "ticketcd.nats.maxFileStore" -}}
{{- $volume := include "ticketcd.quantityBytes" .Values.nats.jetstream.storageSize | int64 -}}
{{- div (mul $volume (int64 .Values.nats.jetstream.maxFileStorePercent)) 100 -}}
{{- end -}}

{{/* GOMEMLIMIT in bytes (goMemLimitPercent of the memory limit), empty without a memory limit. */}}
{{- define "ticketcd.nats.goMemLimit" -}}
{{- $limit := ((.Values.nats.resources).limits).memory -}}
{{- if $limit -}}
{{- div (mul (include "ticketcd.quantityBytes" $limit | int64) (int64 .Values.nats.goMemLimitPercent)) 100 -}}
{{- end -}}
{{- end -}}

{{/* Lame duck mode plus the JetStream shutdown after it: the kubelet must not kill the server before. */}}
{{- define "ticketcd.nats.terminationGraceSeconds" -}}
{{- $ld := .Values.nats.lameDuck -}}
{{- if ge (int $ld.gracePeriodSeconds) (int $ld.durationSeconds) -}}
{{- fail (printf "nats.lameDuck.gracePeriodSeconds (%d) must be below nats.lameDuck.durationSeconds (%d): nats-server refuses to start otherwise" (int $ld.gracePeriodSeconds) (int $ld.durationSeconds)) -}}
{{- end -}}
{{- add (int $ld.durationSeconds) (int $ld.gracePeriodSeconds) 30 -}}
{{- end -}}

{{/* The exporter runs when both metrics and the exporter are on. */}}
{{- define "ticketcd.nats.exporter" -}}
{{- if and .Values.metrics.enabled .Values.nats.exporter.enabled }}true{{ end -}}
{{- end -}}
