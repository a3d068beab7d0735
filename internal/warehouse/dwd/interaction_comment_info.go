package dwd

import (
	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/stream"
)

// CommentInfo is dwd_interaction_comment_info (SPEC §3.2): comments with
// the name of their appraisal.
//
//	topic_db ─ decode (comment_info insert) ─ project
//	         ─ lookup dim_base_dic[appraise] ─► dwd_interaction_comment_info
func CommentInfo(c FactConfig) *stream.Job {
	c = c.mustValidate()
	j, src := factJob(CommentInfoJob, c)
	src.Process("decode", decodeFacts(c, map[string]factRule{tComment: {keys: []string{"id"}}})).Main().
		Process("project", operator.Map(projectComment)).Main().
		Process("lookup_appraise", dicNames(c, "appraise", "appraise_name")).Main().
		To(CommentInfoJob)
	return j
}

func projectComment(r *stream.Record) (stream.Record, error) {
	v, err := r.JSON()
	if err != nil {
		return stream.Record{}, stream.BadInput("malformed_json", "%v", err)
	}
	d := v.Get("data")
	ts := v.GetInt64("ts")
	var w row
	w.col("id", d.Get("id"))
	w.col("user_id", d.Get("user_id"))
	w.col("sku_id", d.Get("sku_id"))
	w.col("appraise", d.Get("appraise"))
	w.raw("appraise_name", nil)
	w.col("comment_txt", d.Get("comment_txt"))
	w.int("ts", ts)
	return r.Derive([]byte(text(d.Get("id"))), w.bytes(), ts*1000), nil
}
