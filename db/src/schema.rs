//! Diesel table definitions, written by hand to match `migrations/` (no diesel_cli here).

diesel::table! {
    unit_groups (id) {
        id -> Int4,
        name -> Text,
        base_unit_name -> Text,
    }
}

diesel::table! {
    units_of_measure (id) {
        id -> Int4,
        unit_group_id -> Int4,
        name -> Text,
        display_name -> Nullable<Text>,
    }
}

diesel::table! {
    unit_conversions (id) {
        id -> Int4,
        unit_id -> Int4,
        conversion_factor -> Float8,
    }
}

diesel::table! {
    process_technologies (id) {
        id -> Int4,
        name -> Text,
    }
}

diesel::table! {
    countries (id) {
        id -> Int4,
        name -> Text,
    }
}

diesel::table! {
    products (id) {
        id -> Int4,
        name -> Text,
        carbon_content_kg_c_per_kg -> Float8,
        energy_content_mj_per_kg -> Float8,
        density_ref -> Float8,
    }
}

diesel::table! {
    feedstocks (id) {
        id -> Int4,
        name -> Text,
        carbon_content_kg_c_per_kg -> Float8,
        energy_content_mj_per_kg -> Float8,
        ci_ref_gco2e_per_mj -> Float8,
        price_ref_usd_per_unit -> Float8,
        yield_ref -> Float8,
    }
}

diesel::table! {
    utilities (id) {
        id -> Int4,
        name -> Text,
        carbon_content_kg_c_per_kg -> Float8,
        energy_content_mj_per_kg -> Float8,
        ci_ref_gco2e_per_mj -> Float8,
        yield_ref -> Float8,
    }
}

diesel::table! {
    process_feedstock_refs (id) {
        id -> Int4,
        process_id -> Int4,
        feedstock_id -> Int4,
        average_product_density_ref -> Float8,
    }
}

diesel::table! {
    process_utility_consumption_refs (id) {
        id -> Int4,
        ref_id -> Int4,
        utility_id -> Int4,
        consumption_ratio_ref_unit_per_kg_fuel -> Float8,
    }
}

diesel::table! {
    product_reference_breakdowns (id) {
        id -> Int4,
        ref_id -> Int4,
        product_id -> Int4,
        carbon_content_kg_c_per_kg -> Float8,
        energy_content_mj_per_kg -> Float8,
        price_ref_usd_per_unit -> Float8,
        price_sensitivity_ref -> Float8,
        product_yield_ref -> Float8,
        product_yield_ref_percent -> Float8,
        product_density -> Float8,
    }
}

diesel::table! {
    utility_country_price_defaults (id) {
        id -> Int4,
        utility_id -> Int4,
        country_id -> Int4,
        price_ref_usd_per_unit -> Float8,
    }
}

diesel::table! {
    default_parameter_sets (id) {
        id -> Int4,
        process_id -> Int4,
        feedstock_id -> Int4,
        country_id -> Int4,
        plant_capacity_ktpa_ref -> Float8,
        annual_load_hours_ref -> Float8,
        ci_process_default_gco2_mj -> Float8,
        project_lifetime_years -> Int4,
        discount_rate_percent -> Float8,
        tci_ref_musd -> Float8,
        tci_scaling_exponent -> Float8,
        working_capital_tci_ratio -> Float8,
        indirect_opex_tci_ratio -> Float8,
        p_steps -> Int4,
        nnp_steps -> Int4,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        name -> Text,
        email -> Text,
        password_hash -> Text,
        access_level -> Text,
        occupation -> Nullable<Text>,
        email_verified -> Bool,
        is_admin -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    email_verification_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        replaced_by -> Nullable<Uuid>,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    projects (id) {
        id -> Uuid,
        user_id -> Uuid,
        project_name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    scenarios (id) {
        id -> Uuid,
        project_id -> Uuid,
        scenario_name -> Text,
        scenario_order -> Int4,
        status -> Text,
        process_id -> Int4,
        feedstock_id -> Int4,
        country_id -> Int4,
        user_inputs -> Jsonb,
        techno_economics -> Nullable<Text>,
        financial_analysis -> Nullable<Text>,
        revision -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    calculation_jobs (id) {
        id -> Uuid,
        scenario_id -> Uuid,
        revision -> Int8,
        status -> Text,
        attempts -> Int4,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        pushes -> Int4,
        last_pushed_at -> Nullable<Timestamptz>,
        synchronous -> Bool,
    }
}

diesel::joinable!(units_of_measure -> unit_groups (unit_group_id));
diesel::joinable!(unit_conversions -> units_of_measure (unit_id));
diesel::joinable!(email_verification_tokens -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(projects -> users (user_id));
diesel::joinable!(scenarios -> projects (project_id));
diesel::joinable!(scenarios -> process_technologies (process_id));
diesel::joinable!(scenarios -> feedstocks (feedstock_id));
diesel::joinable!(scenarios -> countries (country_id));
diesel::joinable!(calculation_jobs -> scenarios (scenario_id));

diesel::allow_tables_to_appear_in_same_query!(
    unit_groups,
    units_of_measure,
    unit_conversions,
    process_technologies,
    countries,
    products,
    feedstocks,
    utilities,
    process_feedstock_refs,
    process_utility_consumption_refs,
    product_reference_breakdowns,
    utility_country_price_defaults,
    default_parameter_sets,
    users,
    email_verification_tokens,
    refresh_tokens,
    projects,
    scenarios,
    calculation_jobs,
);
