-- The config database of the warehouse (SPEC §2, §3.3): which business tables
-- become dimensions (table_process_dim) and which facts dwd_base_db splits out
-- (table_process_dwd). rtdw's own copy; one row per INSERT line.
CREATE DATABASE IF NOT EXISTS `gmall_config` DEFAULT CHARACTER SET utf8mb4;
USE `gmall_config`;

CREATE TABLE IF NOT EXISTS `table_process_dim` (
  `source_table` varchar(200) DEFAULT NULL,
  `sink_table` varchar(200) NOT NULL,
  `sink_family` varchar(200) DEFAULT NULL,
  `sink_columns` varchar(2000) DEFAULT NULL,
  `sink_row_key` varchar(200) DEFAULT NULL,
  PRIMARY KEY (`sink_table`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='dimension routing';

CREATE TABLE IF NOT EXISTS `table_process_dwd` (
  `source_table` varchar(200) DEFAULT NULL,
  `source_type` varchar(200) DEFAULT NULL,
  `sink_table` varchar(200) NOT NULL,
  `sink_columns` varchar(2000) DEFAULT NULL,
  PRIMARY KEY (`sink_table`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='fact routing of dwd_base_db';

INSERT INTO `table_process_dim` VALUES ('activity_info', 'dim_activity_info', 'info', 'id,activity_name,activity_type,activity_desc,start_time,end_time,create_time', 'id');
INSERT INTO `table_process_dim` VALUES ('activity_rule', 'dim_activity_rule', 'info', 'id,activity_id,activity_type,condition_amount,condition_num,benefit_amount,benefit_discount,benefit_level', 'id');
INSERT INTO `table_process_dim` VALUES ('activity_sku', 'dim_activity_sku', 'info', 'id,activity_id,sku_id,create_time', 'id');
INSERT INTO `table_process_dim` VALUES ('base_category1', 'dim_base_category1', 'info', 'id,name', 'id');
INSERT INTO `table_process_dim` VALUES ('base_category2', 'dim_base_category2', 'info', 'id,name,category1_id', 'id');
INSERT INTO `table_process_dim` VALUES ('base_category3', 'dim_base_category3', 'info', 'id,name,category2_id', 'id');
INSERT INTO `table_process_dim` VALUES ('base_province', 'dim_base_province', 'info', 'id,name,region_id,area_code,iso_code,iso_3166_2', 'id');
INSERT INTO `table_process_dim` VALUES ('base_region', 'dim_base_region', 'info', 'id,region_name', 'id');
INSERT INTO `table_process_dim` VALUES ('base_trademark', 'dim_base_trademark', 'info', 'id,tm_name,logo_url', 'id');
INSERT INTO `table_process_dim` VALUES ('coupon_info', 'dim_coupon_info', 'info', 'id,coupon_name,coupon_type,condition_amount,condition_num,activity_id,benefit_amount,benefit_discount,create_time,range_type,limit_num,taken_count,start_time,end_time,operate_time,expire_time,range_desc', 'id');
INSERT INTO `table_process_dim` VALUES ('coupon_range', 'dim_coupon_range', 'info', 'id,coupon_id,range_type,range_id', 'id');
INSERT INTO `table_process_dim` VALUES ('financial_sku_cost', 'dim_financial_sku_cost', 'info', 'id,sku_id,sku_name,busi_date,is_lastest,sku_cost,create_time', 'id');
INSERT INTO `table_process_dim` VALUES ('sku_info', 'dim_sku_info', 'info', 'id,spu_id,price,sku_name,sku_desc,weight,tm_id,category3_id,sku_default_img,is_sale,create_time', 'id');
INSERT INTO `table_process_dim` VALUES ('spu_info', 'dim_spu_info', 'info', 'id,spu_name,description,category3_id,tm_id', 'id');
INSERT INTO `table_process_dim` VALUES ('user_info', 'dim_user_info', 'info', 'id,login_name,name,user_level,birthday,gender,create_time,operate_time', 'id');
INSERT INTO `table_process_dim` VALUES ('base_dic', 'dim_base_dic', 'info', 'dic_code,dic_name,parent_code,create_time,operate_time', 'dic_code');

INSERT INTO `table_process_dwd` VALUES ('coupon_use', 'insert', 'dwd_tool_coupon_get', 'id,coupon_id,user_id,get_time,coupon_status');
INSERT INTO `table_process_dwd` VALUES ('coupon_use', 'update', 'dwd_tool_coupon_use', 'id,coupon_id,user_id,order_id,using_time,used_time,coupon_status');
INSERT INTO `table_process_dwd` VALUES ('favor_info', 'insert', 'dwd_interaction_favor_add', 'id,user_id,sku_id,create_time');
INSERT INTO `table_process_dwd` VALUES ('user_info', 'insert', 'dwd_user_register', 'id,create_time');
